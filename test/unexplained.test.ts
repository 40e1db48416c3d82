// verify.ts `unexplained`: a boundary point left over when no deeper layer explains it is reported only where the black
// box disagrees with the recovered network around it. A point on the boundary of a neuron the recovered network lacks
// must be reported; the same point, and a point on no boundary at all, must not be once the network is complete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoundaryPoint } from '../src/extract/boundary-points.js';
import { unexplained } from '../src/extract/verify.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, unitVector } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { localContext } from './local-context.js';

const truth = randomNetwork([6, 5, 4, 1], 3);
const n = 6;

/** Layer-2 neuron j's pre-activation at x. */
const z2 = (x: Float64Array, j: number) => preActivations(truth, x, 1)[1][j];

/** A point of layer-2 neuron j's boundary (bisection on a line where z_j changes sign) and its unit normal. */
function pointOn(j: number, seed: number): BoundaryPoint {
  const rng = makeRng(seed, 5);
  for (;;) {
    const origin = Float64Array.from({ length: n }, () => 2 * rng.normal());
    const dir = unitVector(rng, n);
    const at = (t: number) => origin.map((v, i) => v + t * dir[i]);
    let [lo, hi] = [-4, 4];
    if (Math.sign(z2(at(lo), j)) === Math.sign(z2(at(hi), j))) continue;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (Math.sign(z2(at(mid), j)) === Math.sign(z2(at(lo), j))) lo = mid;
      else hi = mid;
    }
    const x = at(0.5 * (lo + hi));
    // The gradient of z_j at x is its boundary's normal there (forward differences).
    const h = 1e-6;
    const g = Float64Array.from({ length: n }, (_, i) => {
      const y = Float64Array.from(x);
      y[i] += h;
      return (z2(y, j) - z2(x, j)) / h;
    });
    const gn = Math.hypot(...g);
    if (gn === 0) continue;
    return { x, normal: g.map((v) => v / gn), outputJump: new Float64Array(1), dir, side: 1e-3, span: 0 };
  }
}

/** The truth without layer-2 neuron j in the output (its output weight 0). */
function without(j: number): Network {
  const out = truth.layers[2];
  const W = Float64Array.from(out.W);
  W[j] = 0;
  return { ...truth, layers: [truth.layers[0], truth.layers[1], { ...out, W }] };
}

test('unexplained: a point on the boundary of a neuron the recovered network lacks is reported', async () => {
  const p = pointOn(2, 1);
  assert.ok(Math.abs(z2(p.x, 2)) < 1e-9);
  const ctx = localContext(truth, makeRng(1, 1));
  const left = await unexplained(ctx, without(2), [p]);
  assert.equal(left.length, 1);
  assert.equal(ctx.oracle.queries, 6, 'one batch of six queries per point');
});

test('unexplained: with the complete network, neither that point nor a point on no boundary is reported', async () => {
  const rng = makeRng(2, 1);
  const nowhere: BoundaryPoint = { ...pointOn(2, 1), x: Float64Array.from({ length: n }, () => rng.normal()), normal: unitVector(rng, n) };
  const left = await unexplained(localContext(truth, makeRng(1, 1)), truth, [pointOn(2, 1), nowhere]);
  assert.equal(left.length, 0);
});
