// The exact region map (src/report/regions.ts) against brute force, the boundary map's PNG, and `relurev plot`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { readNetworkJson as readNet, writeNetworkJson } from '../src/network/format.js';
import { forward, preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { boundaryMapSize, boundaryMapSvg, writeBoundaryMap } from '../src/report/boundary-map.js';
import { decodePng, pixelStats } from '../src/report/png.js';
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

  // The PNG file itself, decoded: every pixel there, shaded regions (many colours, mostly not white) and both
  // boundary colours (layer 1 blue, layer 2 red).
  const img = decodePng(png);
  assert.equal(img.width, w);
  assert.equal(img.height, h);
  assert.equal(img.pixels.length, 4 * w * h);
  const stats = pixelStats(img, { blue: (r, _g, b) => b > 150 && r < 80, red: (r, g, b) => r > 150 && g < 80 && b < 80 });
  assert.ok(stats.colours > 30, `${stats.colours} distinct colours`);
  assert.ok(stats.whiteShare < 0.5, `mostly not white (${(100 * stats.whiteShare).toFixed(1)}% white)`);
  assert.ok(stats.counts.blue > 50 && stats.counts.red > 50, `blue ${stats.counts.blue}, red ${stats.counts.red}`);
  // The decoder agrees with resvg's own pixels (the same picture, rendered again).
  const rendered = new Resvg(boundaryMapSvg(map, opts), { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render();
  assert.equal(rendered.width, w);
  assert.equal(rendered.height, h);
  assert.deepEqual(Buffer.from(img.pixels), Buffer.from(rendered.pixels));

  // A blank picture fails the same checks.
  const blank = decodePng(new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="white"/></svg>`).render().asPng());
  const none = pixelStats(blank);
  assert.ok(none.colours === 1 && none.whiteShare === 1);
});

test('the legend never overlaps itself: entries wrap into rows, the ramp moves below them on narrow maps', () => {
  const net = randomNetwork([2, 4, 4, 3, 1], 6);
  const map = linearRegions(net, BOX);
  type Rect = { name: string; x0: number; x1: number; y0: number; y1: number };
  const overlap = (a: Rect, b: Rect) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  for (const size of [120, 160, 240, 400, 500, 640, 800]) {
    for (const recovered of [undefined, map]) {
      const svg = boundaryMapSvg(map, { size, recovered });
      const [w, h] = boundaryMapSize(map, { size, recovered });
      assert.match(svg, new RegExp(`^<svg [^>]*width="${w}" height="${h}"`));
      const plotBottom = w; // a square box: the map is w × w
      const rects: Rect[] = [];
      // Text boxes, generously wide (0.62 em per character; these labels average about 0.55).
      for (const m of svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="(\d+)"[^>]*?( text-anchor="end")?>([^<]*)<\/text>/g)) {
        const [x, y, fs] = [Number(m[1]), Number(m[2]), Number(m[3])];
        if (y <= plotBottom) continue;
        const len = [...m[5].replace(/&amp;/g, '&')].length * 0.62 * fs;
        rects.push({ name: m[5], x0: m[4] ? x - len : x, x1: m[4] ? x : x + len, y0: y - 0.8 * fs, y1: y + 0.2 * fs });
      }
      const ramp = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="10" fill="url\(#bmap-ramp\)"/.exec(svg);
      assert.ok(ramp, 'the ramp is drawn');
      rects.push({ name: 'ramp', x0: Number(ramp[1]), x1: Number(ramp[1]) + Number(ramp[3]), y0: Number(ramp[2]), y1: Number(ramp[2]) + 10 });
      // Sample lines of the entries.
      for (const m of svg.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="[\d.]+" stroke="[^"]+" stroke-width="[\d.]+"(?: stroke-dasharray="6 4")?\/>/g)) {
        if (Number(m[2]) > plotBottom) rects.push({ name: 'sample', x0: Number(m[1]), x1: Number(m[3]), y0: Number(m[2]) - 2, y1: Number(m[2]) + 2 });
      }
      const labels = rects.filter((r) => /^layer \d+$|^recovered$/.test(r.name));
      assert.equal(labels.length, 3 + (recovered ? 1 : 0), `size ${size}`);
      for (let i = 0; i < rects.length; i++) {
        for (let j = i + 1; j < rects.length; j++) assert.ok(!overlap(rects[i], rects[j]), `size ${size}: "${rects[i].name}" overlaps "${rects[j].name}"`);
      }
      for (const r of rects) assert.ok(r.y1 <= h && r.x0 >= 0 && (r.x1 <= w || r.name.includes('regions')), `size ${size}: "${r.name}" outside the picture`);
    }
  }
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
  // 240 × 120 for the box, plus the legend: at this width its three entries (layer 1, layer 2, recovered) take three rows.
  const small: Box = [-2, 2, -1, 1];
  const expectedH = boundaryMapSize(linearRegions(readNet(netPath), small), { size: 240, recovered: linearRegions(readNet(netPath), small) })[1];
  assert.equal(expectedH, 120 + 64 + 2 * 20);
  assert.equal(bytes.readUInt32BE(20), expectedH);

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
