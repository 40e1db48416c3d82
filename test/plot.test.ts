// The exact region map (src/report/regions.ts) against brute force, the boundary map's PNG, and `relurev plot`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { writeNetworkJson } from '../src/network/format.js';
import { forward, preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { boundaryMapSize, boundaryMapSvg, writeBoundaryMap } from '../src/report/boundary-map.js';
import { linearRegions, polygonArea, polygonContains, type Box, type Point, type RegionMap } from '../src/report/regions.js';

const dir = mkdtempSync(join(tmpdir(), 'relurev-plot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BOX: Box = [-3, 3, -3, 3];

/** Pre-activation of neuron j of hidden layer k (1-based) at each of the points. */
function z(net: Network, pts: Point[], layer: number, j: number): number[] {
  const pre = preActivations(net, Float64Array.from(pts.flat()), pts.length);
  const w = net.layers[layer - 1].outDim;
  return pts.map((_, s) => pre[layer - 1][s * w + j]);
}

/** Scale of a neuron's pre-activation over the box (for relative tolerances). */
function zScale(net: Network, layer: number, j: number): number {
  const rng = makeRng(99);
  const pts: Point[] = Array.from({ length: 200 }, () => [BOX[0] + 6 * rng.uniform(), BOX[2] + 6 * rng.uniform()]);
  return Math.max(1, ...z(net, pts, layer, j).map(Math.abs));
}

function patternAt(net: Network, p: Point): { pattern: number[][]; margin: number } {
  const pre = preActivations(net, Float64Array.from(p), 1);
  let margin = Infinity;
  const pattern = pre.slice(0, -1).map((zs) => Array.from(zs, (v) => {
    margin = Math.min(margin, Math.abs(v));
    return v > 0 ? 1 : 0;
  }));
  return { pattern, margin };
}

function checkAgainstBruteForce(net: Network, map: RegionMap): void {
  // Regions tile the box.
  const area = map.regions.reduce((s, r) => s + polygonArea(r.polygon), 0);
  assert.ok(Math.abs(area - 36) < 1e-9, `regions cover the box: area ${area}`);
  assert.ok(map.regions.every((r) => polygonArea(r.polygon) > 0), 'every region is counter-clockwise with positive area');

  // Every segment lies on its neuron's boundary: z ≈ 0 at its ends and along it.
  for (const s of map.segments) {
    const pts: Point[] = [0, 0.1, 0.37, 0.5, 0.81, 1].map((t) => [s.a[0] + t * (s.b[0] - s.a[0]), s.a[1] + t * (s.b[1] - s.a[1])]);
    const scale = zScale(net, s.layer, s.neuron);
    for (const v of z(net, pts, s.layer, s.neuron)) assert.ok(Math.abs(v) <= 1e-9 * scale, `layer ${s.layer} neuron ${s.neuron}: z = ${v} on its segment`);
  }

  // Random points: the region containing them has their activation pattern and their affine piece.
  const rng = makeRng(7);
  let checked = 0;
  for (let i = 0; i < 400; i++) {
    const p: Point = [BOX[0] + 6 * rng.uniform(), BOX[2] + 6 * rng.uniform()];
    const { pattern, margin } = patternAt(net, p);
    if (margin < 1e-6) continue;
    const hits = map.regions.filter((r) => polygonContains(r.polygon, p, 1e-12));
    assert.equal(hits.length, 1, `point ${p} lies in exactly one region`);
    const r = hits[0];
    assert.deepEqual(r.pattern.map((a) => Array.from(a)), pattern, `pattern at ${p}`);
    const y = forward(net, Float64Array.from(p), 1);
    for (let o = 0; o < y.length; o++) {
      const lin = r.jacobian[2 * o] * p[0] + r.jacobian[2 * o + 1] * p[1] + r.offset[o];
      assert.ok(Math.abs(lin - y[o]) <= 1e-10 * (1 + Math.abs(y[o])), `affine piece at ${p}: ${lin} vs ${y[o]}`);
    }
    checked++;
  }
  assert.ok(checked > 350);

  // Completeness: wherever a neuron changes sign along a dense sample of a random line, one of its segments passes
  // between the two samples.
  for (let line = 0; line < 6; line++) {
    const a: Point = [BOX[0] + 6 * rng.uniform(), BOX[2] + 6 * rng.uniform()];
    const b: Point = [BOX[0] + 6 * rng.uniform(), BOX[2] + 6 * rng.uniform()];
    const n = 2000;
    const pts: Point[] = Array.from({ length: n + 1 }, (_, i) => [a[0] + (i / n) * (b[0] - a[0]), a[1] + (i / n) * (b[1] - a[1])]);
    const step = Math.hypot(b[0] - a[0], b[1] - a[1]) / n;
    for (let k = 1; k < net.layers.length; k++) {
      for (let j = 0; j < net.layers[k - 1].outDim; j++) {
        const zs = z(net, pts, k, j);
        for (let i = 0; i < n; i++) {
          if (zs[i] > 0 === zs[i + 1] > 0) continue;
          const mid: Point = [(pts[i][0] + pts[i + 1][0]) / 2, (pts[i][1] + pts[i + 1][1]) / 2];
          const near = map.segments.some((s) => s.layer === k && s.neuron === j && distanceToSegment(mid, s.a, s.b) <= step);
          assert.ok(near, `layer ${k} neuron ${j} changes sign near ${mid} but no segment of it is there`);
        }
      }
    }
  }
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

test('regions of a 2-5-5-1 network match brute force (segments on B_z, patterns, affine pieces, completeness)', () => {
  const net = randomNetwork([2, 5, 5, 1], 3);
  const map = linearRegions(net, BOX);
  assert.deepEqual(map.widths, [5, 5]);
  assert.ok(map.regions.length > 10, `${map.regions.length} regions`);
  assert.ok(map.segments.some((s) => s.layer === 1) && map.segments.some((s) => s.layer === 2));
  checkAgainstBruteForce(net, map);
});

test('regions of a deeper 2-6-4-4-3 network match brute force', () => {
  const net = randomNetwork([2, 6, 4, 4, 3], 11);
  const map = linearRegions(net, BOX);
  assert.equal(map.outputDim, 3);
  checkAgainstBruteForce(net, map);
});

test('a layer-1 boundary is one straight line across the box; a dead neuron has no boundary', () => {
  const net = randomNetwork([2, 3, 2, 1], 4);
  // Neuron 2 of layer 1: the line x1 = 0.5. Layer-2 neuron 1 gets no input and a negative bias: dead everywhere.
  net.layers[0].W.set([1, 0], 4);
  net.layers[0].b[2] = -0.5;
  net.layers[1].W.set([0, 0, 0], 3);
  net.layers[1].b[1] = -1;
  const map = linearRegions(net, BOX);
  const segs = map.segments.filter((s) => s.layer === 1 && s.neuron === 2);
  assert.equal(segs.length, 1);
  const xs = [segs[0].a[0], segs[0].b[0]];
  const ys = [segs[0].a[1], segs[0].b[1]].sort((p, q) => p - q);
  assert.ok(xs.every((x) => Math.abs(x - 0.5) < 1e-15));
  assert.deepEqual(ys, [-3, 3]);
  assert.equal(map.segments.filter((s) => s.layer === 2 && s.neuron === 1).length, 0);
});

test('the boundary map PNG has the expected size and is not blank', () => {
  const net = randomNetwork([2, 6, 5, 1], 2);
  const rec = randomNetwork([2, 6, 5, 1], 2);
  rec.layers[0].b[0] += 0.3;
  const map = linearRegions(net, BOX);
  const recMap = linearRegions(rec, BOX);
  const opts = { size: 320, recovered: recMap, title: 'test' };
  const path = join(dir, 'map.png');
  writeBoundaryMap(path, map, opts);
  const png = readFileSync(path);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  const [w, h] = boundaryMapSize(map, opts);
  assert.equal(png.readUInt32BE(16), w);
  assert.equal(png.readUInt32BE(20), h);
  assert.equal(w, 320);

  const rendered = new Resvg(boundaryMapSvg(map, opts), { font: { loadSystemFonts: true } }).render();
  assert.equal(rendered.width, w);
  assert.equal(rendered.height, h);
  const px = rendered.pixels;
  const colours = new Set<number>();
  let white = 0;
  for (let i = 0; i < px.length; i += 4) {
    colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    if (px[i] === 255 && px[i + 1] === 255 && px[i + 2] === 255) white++;
  }
  assert.ok(colours.size > 30, `${colours.size} distinct colours`);
  assert.ok(white < 0.5 * (px.length / 4), `mostly not white (${white} white pixels)`);
  // The two boundary colours are present: some strongly blue and some strongly red pixels.
  let blue = 0;
  let red = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 2] > 150 && px[i] < 80) blue++;
    if (px[i] > 150 && px[i + 1] < 80 && px[i + 2] < 80) red++;
  }
  assert.ok(blue > 50 && red > 50, `blue ${blue}, red ${red}`);
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

test('relurev plot: PNG and SVG with --recovered; refuses input dimension ≠ 2 in one line', () => {
  const netPath = join(dir, 'net.json');
  writeNetworkJson(netPath, randomNetwork([2, 5, 4, 1], 8));
  const png = join(dir, 'cli.png');
  let r = cli('plot', netPath, '--out', png, '--recovered', netPath, '--size', '240', '--box', '-2,2,-1,1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*cli\.png: \d+ linear regions/);
  const bytes = readFileSync(png);
  assert.equal(bytes.readUInt32BE(16), 240);
  assert.equal(bytes.readUInt32BE(20), 120 + 64);

  const svg = join(dir, 'cli.svg');
  r = cli('plot', netPath, '--out', svg);
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(svg, 'utf8'), /^<svg [^>]*width="800"/);

  const wide = join(dir, 'wide.json');
  writeNetworkJson(wide, randomNetwork([3, 4, 1], 1));
  r = cli('plot', wide, '--out', join(dir, 'x.svg'));
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /input dimension 2.*has 3/);

  r = cli('plot', netPath, '--out', join(dir, 'x.svg'), '--box', '1,0,2,3');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--box/);
  r = cli('plot', netPath, '--out', join(dir, 'x.gif'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\.svg or \.png/);
});

test('bench fig3 (one width, one seed): table, JSON, CSV, SVG and PNG; rows aligned up to sign', async () => {
  const { runFig3, alignRowsUpToSign } = await import('../bench/fig3.js');
  // Alignment up to sign, scale and permutation: a flipped, rescaled, permuted copy is exact.
  const layer = randomNetwork([4, 3, 1], 5).layers[0];
  const rows = [2, 0, 1].map((j, i) => {
    const s = [-2, 0.5, 3][i];
    return { w: layer.W.slice(j * 4, j * 4 + 4).map((v) => s * v), b: s * layer.b[j] };
  });
  const a = alignRowsUpToSign(rows, layer);
  assert.equal(a.matched, 3);
  assert.ok(a.logErrW < -14 && a.logErrB < -14, `${a.logErrW} ${a.logErrB}`);
  assert.ok(alignRowsUpToSign(rows.slice(0, 2), layer).missing === 1);

  const out = join(dir, 'fig3');
  let printed = '';
  const res = await runFig3({ widths: [10], seeds: 1, kinds: ['untrained'], outDir: out, log: () => {}, print: (t) => (printed += t) });
  assert.equal(res.runs.length, 1);
  assert.equal(res.runs[0].found, 10);
  assert.ok(res.runs[0].logErrW < -8, `log err ${res.runs[0].logErrW}`);
  assert.match(printed, /\| untrained \| 10-10-10-10 \| 1 \|/);
  const files = res.files.map((f) => f.slice(out.length + 1)).sort();
  assert.deepEqual(files, ['fig3.csv', 'fig3.json', 'fig3.png', 'fig3.svg']);
  assert.equal(readFileSync(join(out, 'fig3.csv'), 'utf8').trim().split('\n').length, 2);
  assert.equal(JSON.parse(readFileSync(join(out, 'fig3.json'), 'utf8')).runs.length, 1);
  assert.equal(readFileSync(join(out, 'fig3.png')).toString('latin1', 1, 4), 'PNG');
});
