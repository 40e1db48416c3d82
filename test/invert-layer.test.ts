// Pre-images of one ReLU layer (seed 004 slides 4–10): the four classes, and the point returned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerForward } from '../src/network/forward.js';
import { makeRng, normalVector } from '../src/network/random.js';
import type { Layer } from '../src/network/types.js';
import { layerPreimage } from '../src/invert/layer.js';
import { omnidirectional } from '../src/invert/omnidirectional.js';

function randomLayer(inDim: number, outDim: number, seed: number): Layer {
  const rng = makeRng(seed);
  const W = normalVector(rng, inDim * outDim).map((v) => v * Math.sqrt(2 / inDim));
  return { inDim, outDim, W, b: normalVector(rng, outDim) };
}

function image(layer: Layer, x: Float64Array): Float64Array {
  return layerForward(layer, x, 1, true);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('expansive layer 8 → 40, generic input: singleton, x recovered to 1e-9', async () => {
  for (const seed of [1, 2, 3]) {
    const layer = randomLayer(8, 40, seed);
    const x = normalVector(makeRng(100 + seed), 8);
    const y = image(layer, x);
    const res = await layerPreimage(layer, y);
    assert.equal(res.kind, 'singleton', res.reason);
    assert.ok(res.active >= 8, `only ${res.active} active rows`);
    assert.ok(maxDiff(res.point!, x) <= 1e-9, `error ${maxDiff(res.point!, x)}`);
  }
});

test('contractive layer 20 → 5: unbounded, and the point maps to y to 1e-9', async () => {
  for (const seed of [4, 5, 6]) {
    const layer = randomLayer(20, 5, seed);
    const x = normalVector(makeRng(200 + seed), 20);
    const y = image(layer, x);
    const res = await layerPreimage(layer, y);
    assert.equal(res.kind, 'unbounded', res.reason);
    assert.ok(res.nullity >= 15);
    assert.ok(maxDiff(image(layer, res.point!), y) <= 1e-9);
  }
});

// Four rows through p whose directions sum to zero (a regular tetrahedron's normals): omnidirectional.
const TETRA = [
  [1, 1, 1],
  [1, -1, -1],
  [-1, 1, -1],
  [-1, -1, 1],
];
const P = [0.25, -1.5, 2.5];

/** Rows a_j with b_j = −a_j·p + offset_j, then extra rows. */
function handMade(rows: number[][], offsets: number[], extra: { w: number[]; b: number }[] = []): Layer {
  const all = [...rows.map((w, j) => ({ w, b: -(w[0] * P[0] + w[1] * P[1] + w[2] * P[2]) + offsets[j] })), ...extra];
  return { inDim: 3, outDim: all.length, W: Float64Array.from(all.flatMap((r) => r.w)), b: Float64Array.from(all.map((r) => r.b)) };
}

test('rows omnidirectional around p: singleton at p with fewer active rows than inputs', async () => {
  // One active row (1 < 3 = input dimension) and four inactive rows, all tight at p.
  const layer = handMade(TETRA, [0, 0, 0, 0], [{ w: [0.5, 2, -1], b: 6 }]);
  const y = image(layer, Float64Array.from(P));
  assert.deepEqual(Array.from(y.subarray(0, 4)), [0, 0, 0, 0]);
  assert.ok(y[4] > 0);
  const res = await layerPreimage(layer, y);
  assert.equal(res.active, 1);
  assert.equal(res.kind, 'singleton', res.reason);
  assert.ok(maxDiff(res.point!, P) <= 1e-12, `error ${maxDiff(res.point!, P)}`);
  // No active row at all: the zero output still pins x to p.
  const only = handMade(TETRA, [0, 0, 0, 0]);
  const res0 = await layerPreimage(only, new Float64Array(4));
  assert.equal(res0.kind, 'singleton', res0.reason);
  assert.ok(maxDiff(res0.point!, P) <= 1e-12);
});

test('three of those rows: omnidirectional only where the active row\'s plane misses their cone', async () => {
  // The three rows alone bound a pointed cone with apex p: unbounded.
  const cone = handMade(TETRA.slice(0, 3), [0, 0, 0]);
  assert.equal((await layerPreimage(cone, new Float64Array(3))).kind, 'unbounded');
  // An active row whose plane through p cuts the cone: projected onto that plane the three rows are
  // not omnidirectional, and the pre-image is an unbounded planar cone.
  const cut = handMade(TETRA.slice(0, 3), [0, 0, 0], [{ w: [1, -1, 0], b: 1 }]);
  const yCut = image(cut, Float64Array.from(P));
  const rCut = await layerPreimage(cut, yCut);
  assert.equal(rCut.kind, 'unbounded', rCut.reason);
  assert.ok(maxDiff(image(cut, rCut.point!), yCut) <= 1e-9);
  // A plane that meets the cone only at p (every extreme ray of the cone has a·r < 0): projected onto
  // it, the three rows are omnidirectional and p is the only pre-image.
  const touch = handMade(TETRA.slice(0, 3), [0, 0, 0], [{ w: [0.5, 2, -1], b: 6 }]);
  const rTouch = await layerPreimage(touch, image(touch, Float64Array.from(P)));
  assert.equal(rTouch.kind, 'singleton', rTouch.reason);
  assert.ok(maxDiff(rTouch.point!, P) <= 1e-12);
});

test('omnidirectional rows around an interior point: bounded (the seed\'s "finite"), with a ball inside', async () => {
  // a_j·(x − p) ≤ 1 for the four normals: a tetrahedron around p.
  const layer = handMade(TETRA, [-1, -1, -1, -1]);
  const res = await layerPreimage(layer, new Float64Array(4));
  assert.equal(res.kind, 'bounded', res.reason);
  assert.ok(res.radius! > 0.1);
  const y = image(layer, res.point!);
  assert.ok(maxDiff(y, [0, 0, 0, 0]) === 0);
});

test('outputs no input can produce are "empty"', async () => {
  const layer = randomLayer(8, 40, 1);
  const x = normalVector(makeRng(101), 8);
  const y = image(layer, x);
  // A negative entry after ReLU.
  const neg = y.slice();
  neg[neg.findIndex((v) => v === 0)] = -0.5;
  const r1 = await layerPreimage(layer, neg);
  assert.equal(r1.kind, 'empty');
  assert.match(r1.reason, /negative/);
  // Inconsistent active rows: more than 8 equations, one moved off the range of A_I.
  const off = y.slice();
  off[off.findIndex((v) => v > 0)] += 1e-3;
  const r2 = await layerPreimage(layer, off);
  assert.equal(r2.kind, 'empty');
  assert.match(r2.reason, /inconsistent/);
  // Consistent equalities, contradictory inequalities: x1 = 1 from the active row, x2 ≤ −1 and x2 ≥ 1.
  const box: Layer = { inDim: 2, outDim: 3, W: Float64Array.from([1, 0, 0, 1, 0, -1]), b: Float64Array.from([0, 1, 1]) };
  const r3 = await layerPreimage(box, [1, 0, 0]);
  assert.equal(r3.kind, 'empty', r3.reason);
  assert.match(r3.reason, /cannot all hold/);
  // ... and with x2 ≤ −1 only, it is a half-line: unbounded, point valid.
  const half: Layer = { inDim: 2, outDim: 2, W: Float64Array.from([1, 0, 0, 1]), b: Float64Array.from([0, 1]) };
  const r4 = await layerPreimage(half, [1, 0]);
  assert.equal(r4.kind, 'unbounded');
  assert.deepEqual(Array.from(image(half, r4.point!)), [1, 0]);
});

test('a linear layer has only equalities; x ≥ 0 rows can make it unique', async () => {
  // y = x1 + x2 (linear): a line in R^2; with x ≥ 0 and y = 0 only x = 0 remains.
  const sum: Layer = { inDim: 2, outDim: 1, W: Float64Array.from([1, 1]), b: Float64Array.from([0]) };
  assert.equal((await layerPreimage(sum, [0], { relu: false })).kind, 'unbounded');
  const pinned = await layerPreimage(sum, [0], { relu: false, nonnegativeInput: true });
  assert.equal(pinned.kind, 'singleton', pinned.reason);
  assert.ok(maxDiff(pinned.point!, [0, 0]) <= 1e-12);
  const segment = await layerPreimage(sum, [2], { relu: false, nonnegativeInput: true });
  assert.equal(segment.kind, 'bounded', segment.reason);
  assert.ok(Math.abs(segment.point![0] + segment.point![1] - 2) < 1e-12);
});

test('a known input strictly inside stands in for the Chebyshev LP; one outside is ignored', async () => {
  const layer = randomLayer(20, 5, 4);
  const x = normalVector(makeRng(204), 20);
  const y = image(layer, x);
  const res = await layerPreimage(layer, y, { knownPoint: x });
  assert.equal(res.kind, 'unbounded');
  assert.ok(maxDiff(res.point!, x) <= 1e-12, 'x is its own projection onto the active equations');
  const inactive = [...y.keys()].filter((i) => y[i] === 0);
  const dist = Math.min(...inactive.map((i) => {
    const w = layer.W.subarray(i * 20, (i + 1) * 20);
    let z = layer.b[i];
    let nw = 0;
    for (let c = 0; c < 20; c++) {
      z += w[c] * x[c];
      nw += w[c] * w[c];
    }
    return -z / Math.sqrt(nw);
  }));
  // The radius is measured within the active rows' solution set: at least the plain distance.
  assert.ok(res.radius! >= dist - 1e-12);
  const outside = await layerPreimage(layer, y, { knownPoint: x.map((v) => v + 1) });
  assert.equal(outside.kind, 'unbounded');
  assert.ok(maxDiff(image(layer, outside.point!), y) <= 1e-9);
});

test('omnidirectional(): 0 inside the convex hull of the rows, by LP', async () => {
  const flat = (rows: number[][]) => Float64Array.from(rows.flat());
  // Tetrahedron normals sum to 0: the most balanced combination, margin 1.
  const tetra = await omnidirectional(flat(TETRA), 4, 3);
  assert.equal(tetra.omnidirectional, true);
  assert.ok(Math.abs(tetra.margin - 1) < 1e-9);
  // Three of them lie in a half-space (too few rows anyway).
  assert.equal((await omnidirectional(flat(TETRA.slice(0, 3)), 3, 3)).omnidirectional, false);
  // In the plane: ±e1 and ±e2 surround 0; drop −e2 and 0 is on the hull's boundary.
  assert.equal((await omnidirectional(flat([[1, 0], [-1, 0], [0, 1], [0, -1]]), 4, 2)).omnidirectional, true);
  const open = await omnidirectional(flat([[1, 0], [-1, 0], [0, 1], [1, 1]]), 4, 2);
  assert.equal(open.omnidirectional, false);
  // Balanced but flat (±e1 twice in R^2): 0 is in the relative interior, but the hull has no interior.
  const flatHull = await omnidirectional(flat([[1, 0], [-1, 0], [2, 0]]), 3, 2);
  assert.equal(flatHull.omnidirectional, false);
  assert.match(flatHull.reason!, /span/);
});
