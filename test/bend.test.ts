// The bend of a layer-2 boundary where it crosses a layer-1 boundary (seed 001 App. B), on hand-made networks whose
// gradients are known in closed form.
//
// Network A ("2-2-1": input 2, layer 1 of width 2, one layer-2 neuron z, and a linear output y = 2·relu(z) + 0.25):
//   h0 = x0 + 0.3·x1 + 0.1,   h1 = −0.2·x0 + x1 − 0.2,   z = relu(h0) − relu(h1) − 0.5.
// Where h0 is active and h1 is not, ∇z = ∇h0 = (1, 0.3); across B_h1 (h1 active) ∇z = ∇h0 − ∇h1 = (1.2, −0.7):
// the gradient of z on the two sides of B_h1 differs by W_z,h1·∇h1 with W_z,h1 = −1. (B_z never meets B_h0: where
// h0 is inactive, z ≤ −0.5.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localContext } from './local-context.js';
import { measureJumps } from '../src/geometry/jump.js';
import { KnownLayers } from '../src/geometry/known.js';
import type { ExtractContext } from '../src/extract/context.js';
import { walkBoundary } from '../src/extract/walk.js';
import { preActivations } from '../src/network/forward.js';
import { makeRng } from '../src/network/random.js';
import type { Layer, Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';

function layer(W: number[][], b: number[]): Layer {
  return { inDim: W[0].length, outDim: W.length, W: Float64Array.from(W.flat()), b: Float64Array.from(b) };
}

const A_L1 = layer(
  [
    [1, 0.3],
    [-0.2, 1],
  ],
  [0.1, -0.2],
);
const A_L2 = layer([[1, -1]], [-0.5]);
const A_OUT = layer([[2]], [0.25]);
const netA: Network = { activation: 'relu', layers: [A_L1, A_L2, A_OUT] };

/**
 * Network B (input 3, layer 1 of width 3, one layer-2 neuron, linear output): in 3-D with three independent
 * layer-1 gradients, "the new normal lies in span{old normal, ∇z_h}" is a real constraint (in 2-D it is vacuous).
 *   z = relu(h0) − relu(h1) + 0.5·relu(h2) − 1.615, y = 1.5·relu(z) − 0.1.
 */
const B_L1 = layer(
  [
    [1, 0.3, 0.2],
    [-0.2, 1, -0.5],
    [0.3, -0.4, 1],
  ],
  [0.1, -0.2, 2.0],
);
const B_L2 = layer([[1, -1, 0.5]], [-1.615]);
const netB: Network = { activation: 'relu', layers: [B_L1, B_L2, layer([[1.5]], [-0.1])] };

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));
const unit = (a: Float64Array) => a.map((v) => v / norm(a));
const row = (L: Layer, j: number) => L.W.subarray(j * L.inDim, (j + 1) * L.inDim);

/** Layer-1 and layer-2 pre-activations of a hand-made net at x. */
function pre(net: Network, x: Float64Array): { h: Float64Array; z: number } {
  const [h, z] = preActivations(net, x, 1);
  return { h, z: z[0] };
}

/** Analytic ∇z at x: Σ_h W_zh [h active] ∇h. */
function gradZ(net: Network, x: Float64Array): Float64Array {
  const [L1, L2] = net.layers;
  const { h } = pre(net, x);
  const g = new Float64Array(L1.inDim);
  for (let j = 0; j < L1.outDim; j++) if (h[j] > 0) for (let i = 0; i < L1.inDim; i++) g[i] += L2.W[j] * L1.W[j * L1.inDim + i];
  return g;
}

function assertVecClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  const d = Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
  assert.ok(d <= tol * Math.max(1, norm(b)), `${label}: [${Array.from(a)}] vs [${Array.from(b)}] (distance ${d.toExponential(2)})`);
}

/** |v − proj_{span{a, b}} v| / |v|. */
function offSpan(v: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ua = Array.from(a, (x) => x / norm(a));
  const bo = Array.from(b, (x, i) => x - dot(b, ua) * ua[i]);
  const ub = bo.map((x) => x / norm(bo));
  const r = Array.from(v, (x, i) => x - dot(v, ua) * ua[i] - dot(v, ub) * ub[i]);
  return norm(r) / norm(v);
}

/** sin of the angle between a and b (accurate for small angles, unlike 1 − cos). */
function sinAngle(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ub = Array.from(b, (x) => x / norm(b));
  const c = dot(a, ub);
  return norm(Array.from(a, (x, i) => x - c * ub[i])) / norm(a);
}

function context(net: Network, seed: number): ExtractContext {
  return localContext(net, makeRng(seed, 3));
}

// p_r: on B_z with h1 inactive; p_s: on B_z with h1 active (both with h0 active).
const pR = Float64Array.of(0.55, -0.5);
const pS = Float64Array.of(0.75, 1.0);

test('hand-made 2-2-1: the points are where the comments say (z = 0; h1 off at p_r, on at p_s)', () => {
  const r = pre(netA, pR);
  const s = pre(netA, pS);
  assert.ok(Math.abs(r.z) < 1e-15 && Math.abs(s.z) < 1e-15, `z(p_r) = ${r.z}, z(p_s) = ${s.z}`);
  assert.ok(r.h[0] > 0 && r.h[1] < 0 && s.h[0] > 0 && s.h[1] > 0);
  assertVecClose(gradZ(netA, pR), [1, 0.3], 1e-15, '∇z(p_r)');
  assertVecClose(gradZ(netA, pS), [1.2, -0.7], 1e-15, '∇z(p_s)');
});

test('bend formula (App. B): measured ∇z on the two sides of B_h1 differs by W_z,h1·∇h1', async () => {
  const oracle = new CountingOracle(new LocalOracle(netA));
  // Cross B_z along a generic direction (not its normal): e0 crosses it towards the active side in both regions.
  const across = Float64Array.of(1, 0);
  const [jr, js] = await measureJumps(oracle, [
    { x: pR, across, side: 0.01 },
    { x: pS, across, side: 0.01 },
  ]);
  assert.equal(oracle.queries, 2 * 2 * (2 + 1), 'measureJumps uses 2(n+1) queries per point');
  for (const j of [jr, js]) assert.ok(j.rankOneError < 1e-9, `rank-one error ${j.rankOneError}`);

  // The Jacobian jump is a·∇z with a = 2 (the output weight of relu(z)): outputJump·normal recovers it.
  const measuredR = jr.normal.map((v) => jr.outputJump[0] * v);
  const measuredS = js.normal.map((v) => js.outputJump[0] * v);
  const a = A_OUT.W[0];
  assertVecClose(measuredR, gradZ(netA, pR).map((v) => a * v), 1e-8, 'a·∇z(p_r)');
  assertVecClose(measuredS, gradZ(netA, pS).map((v) => a * v), 1e-8, 'a·∇z(p_s)');

  // ∇z(p_s) − ∇z(p_r) = W_z,h1 · ∇h1.
  const wzh1 = A_L2.W[1];
  const diff = measuredS.map((v, i) => (v - measuredR[i]) / a);
  assertVecClose(diff, row(A_L1, 1).map((v) => wzh1 * v), 1e-8, '∇z(p_s) − ∇z(p_r)');

  // The same from unit normals only, as in App. B: c·v_s − v_r = λ·∇h1 with v_r, v_s on the same side of B_z;
  // then c = |∇z(p_s)| / |∇z(p_r)| and λ = W_z,h1 / |∇z(p_r)|: the weight up to z's scale.
  const vr = jr.normal;
  const vs = js.normal;
  assert.ok(dot(vr, vs) > 0, 'both normals oriented towards z > 0 (across is the same)');
  const g = row(A_L1, 1);
  // [vs, −g] [c, λ]ᵀ = vr  (2 × 2)
  const det = vs[0] * -g[1] - -g[0] * vs[1];
  const c = (vr[0] * -g[1] - -g[0] * vr[1]) / det;
  const lambda = (vs[0] * vr[1] - vr[0] * vs[1]) / det;
  const nR = norm(gradZ(netA, pR));
  const nS = norm(gradZ(netA, pS));
  assert.ok(Math.abs(c - nS / nR) < 1e-8, `c = ${c}, expected ${nS / nR}`);
  assert.ok(Math.abs(lambda * nR - wzh1) < 1e-8, `λ·|∇z(p_r)| = ${lambda * nR}, expected W_z,h1 = ${wzh1}`);
  // And the layer-1 weight W_z,h0 from p_r's region (only h0 active): ∇z(p_r) = W_z,h0·∇h0.
  assertVecClose(measuredR.map((v) => v / a), row(A_L1, 0).map((v) => A_L2.W[0] * v), 1e-8, 'W_z,h0·∇h0');
});

test('walkBoundary on the 2-2-1 net: crosses B_h1, stays on B_z, and the new normal is the bent one', async () => {
  const ctx = context(netA, 1);
  const known = new KnownLayers([A_L1]);
  const start = { x: pR, normal: unit(gradZ(netA, pR)) };
  const walk = await walkBoundary(ctx, known, start, 6);
  assert.ok(walk.crossed.has(1), `B_h1 not crossed (crossed: [${[...walk.crossed]}])`);
  assert.ok(!walk.crossed.has(0), 'B_z never meets B_h0 in this network');
  assert.ok(walk.points.length >= 2);
  assert.equal(walk.points[0].x, pR, 'the walk starts at the start point');
  for (const [i, p] of walk.points.entries()) {
    const { h, z } = pre(netA, p.x);
    assert.ok(Math.abs(z) < 1e-9 * (1 + norm(p.x)), `point ${i}: z = ${z}, not on B_z`);
    const g = gradZ(netA, p.x);
    const sin = sinAngle(p.normal, g);
    assert.ok(sin < 1e-8, `point ${i}: normal [${Array.from(p.normal)}] vs ∇z [${Array.from(g)}] (sin of angle = ${sin.toExponential(2)})`);
    assert.ok(h[0] > 0, `point ${i}: h0 must be active on B_z`);
  }
  // The first new point is across B_h1, with ∇z = ∇h0 − ∇h1: in span{old normal, ∇h1} (trivially, in 2-D).
  const next = walk.points[1];
  assert.ok(pre(netA, next.x).h[1] > 0, 'the first step crosses into h1 > 0');
  assert.ok(offSpan(next.normal, start.normal, row(A_L1, 1)) < 1e-9);
});

test('walkBoundary on a 3-3-1 net: every bend is within span{previous normal, ∇ of the crossed neuron}', async () => {
  const x0 = Float64Array.of(0.5, -0.6, 0);
  const { h: h0, z: z0 } = pre(netB, x0);
  assert.ok(Math.abs(z0) < 1e-12 && h0[0] > 0 && h0[1] < 0 && h0[2] > 0, `start: z = ${z0}, h = [${Array.from(h0)}]`);
  const ctx = context(netB, 2);
  const known = new KnownLayers([B_L1]);
  const start = { x: x0, normal: unit(gradZ(netB, x0)) };
  const walk = await walkBoundary(ctx, known, start, 8);
  assert.ok(walk.crossed.has(1), `B_h1 not crossed (crossed: [${[...walk.crossed]}])`);
  let bends = 0;
  for (let i = 1; i < walk.points.length; i++) {
    const prev = walk.points[i - 1];
    const cur = walk.points[i];
    const { z } = pre(netB, cur.x);
    assert.ok(Math.abs(z) < 1e-9 * (1 + norm(cur.x)), `point ${i}: z = ${z}, not on B_z`);
    const g = gradZ(netB, cur.x);
    const sin = sinAngle(cur.normal, g);
    assert.ok(sin < 1e-8, `point ${i}: normal vs ∇z: sin of angle = ${sin.toExponential(2)}`);
    // Which layer-1 neuron changed state between the two points (one per step).
    const hp = pre(netB, prev.x).h;
    const hc = pre(netB, cur.x).h;
    const changed = [0, 1, 2].filter((j) => hp[j] > 0 !== hc[j] > 0);
    assert.equal(changed.length, 1, `step ${i}: layer-1 neurons [${changed}] changed state`);
    const hx = changed[0];
    assert.ok(walk.crossed.has(hx), `step ${i} crossed h${hx}, not reported`);
    const off = offSpan(cur.normal, prev.normal, row(B_L1, hx));
    assert.ok(off < 1e-8, `step ${i}: new normal is ${off.toExponential(2)} off span{old normal, ∇h${hx}}`);
    // Not vacuous: the bend is not within the span of the old normal and another neuron's gradient.
    for (const other of [0, 1, 2].filter((j) => j !== hx)) {
      if (offSpan(prev.normal, row(B_L1, other), row(B_L1, hx)) < 1e-6) continue; // old normal ∈ span{∇other, ∇hx}
      assert.ok(offSpan(cur.normal, prev.normal, row(B_L1, other)) > 1e-3, `step ${i}: the span test cannot tell h${hx} from h${other}`);
    }
    // The bend formula with the analytic gradients: ∇z(cur) − ∇z(prev) = W_z,hx·∇hx·(±1).
    const d = Array.from(gradZ(netB, cur.x), (v, k) => v - gradZ(netB, prev.x)[k]);
    const expect = Array.from(row(B_L1, hx), (v) => B_L2.W[hx] * v * (hc[hx] > 0 ? 1 : -1));
    assertVecClose(d, expect, 1e-12, `step ${i}: analytic bend`);
    bends++;
  }
  assert.ok(bends >= 1);
});
