// Completing a partial row along its predicted boundary (extract/approach.ts): from a true point of a layer-2
// boundary B_z where some layer-1 neurons are off (their weights "undetermined", zeroed in the row), the predicted
// walk must reach each such neuron h's boundary and the one real crossing must return a point of the true B_z where h
// is active, with B_z's true normal there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localContext } from './local-context.js';
import { approachUndetermined } from '../src/extract/approach.js';
import { KnownLayers } from '../src/geometry/known.js';
import { dot, norm } from '../src/linalg/vec.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';

const net = randomNetwork([12, 10, 6, 1], 4);
const [L1, L2] = net.layers;
const n = L1.inDim;
const H = L1.outDim;

/** Layer-1 and layer-2 pre-activations at x. */
function pre(x: Float64Array): [Float64Array, Float64Array] {
  const [z1, z2] = preActivations(net, x, 1);
  return [z1, z2];
}

/** ∇z_j of layer-2 neuron j at x (the true normal of B_j there, unnormalised). */
function trueGradient(j: number, x: Float64Array): Float64Array {
  const [z1] = pre(x);
  const g = new Float64Array(n);
  for (let h = 0; h < H; h++) {
    if (z1[h] <= 0) continue;
    for (let i = 0; i < n; i++) g[i] += L2.W[j * H + h] * L1.W[h * n + i];
  }
  return g;
}

/** A point of B_j on a random line (bisection on the true network, no queries), or null. */
function pointOn(j: number, rng: ReturnType<typeof makeRng>): Float64Array | null {
  const o = Float64Array.from({ length: n }, () => rng.normal());
  const d = Float64Array.from({ length: n }, () => rng.normal());
  const at = (t: number) => Float64Array.from(o, (v, i) => v + t * d[i]);
  let prevT = -3;
  let prev = pre(at(prevT))[1][j];
  for (let t = -3 + 0.05; t <= 3; t += 0.05) {
    const v = pre(at(t))[1][j];
    if (Math.sign(v) !== Math.sign(prev)) {
      let lo = prevT;
      let hi = t;
      for (let it = 0; it < 200; it++) {
        const mid = 0.5 * (lo + hi);
        if (Math.sign(pre(at(mid))[1][j]) === Math.sign(prev)) lo = mid;
        else hi = mid;
      }
      return at(0.5 * (lo + hi));
    }
    prev = v;
    prevT = t;
  }
  return null;
}

test('approachUndetermined: reaches each undetermined neuron on the true boundary, where it is active', async () => {
  const ctx = localContext(net, makeRng(7));
  const known = new KnownLayers([L1]);
  const signs = new Int8Array(H).fill(1);
  const rng = makeRng(11);
  let tried = 0;
  let reached = 0;
  for (let j = 0; j < L2.outDim; j++) {
    const start = pointOn(j, rng);
    if (!start) continue;
    const [z1] = pre(start);
    const undetermined = Array.from({ length: H }, (_, h) => h).filter((h) => z1[h] <= 0);
    // The partial row: the true row with the weights of neurons off at the start unknown (0).
    const w = Float64Array.from({ length: H }, (_, h) => (undetermined.includes(h) ? 0 : L2.W[j * H + h]));
    const row = { w, b: L2.b[j], undetermined, consistency: 0 };
    for (const h of undetermined) {
      tried++;
      const p = await approachUndetermined(ctx, known, signs, row, start, h, null);
      if (!p) continue;
      reached++;
      const [a1, a2] = pre(p.x);
      assert.ok(a1[h] > 0, `neuron ${h} is active at the point returned for it (z_h = ${a1[h]})`);
      const g = trueGradient(j, p.x);
      assert.ok(Math.abs(a2[j]) / norm(g) < 1e-9 * (1 + norm(p.x)), `the point is on B_${j} (distance ${Math.abs(a2[j]) / norm(g)})`);
      assert.ok(1 - Math.abs(dot(g, p.normal)) / norm(g) < 1e-9, `the measured normal is B_${j}'s true normal there`);
    }
  }
  assert.ok(tried >= 10, `enough undetermined weights to test (${tried})`);
  assert.ok(reached >= 0.6 * tried, `most undetermined neurons are reached (${reached} of ${tried})`);
});
