// test-boundary.ts with `near`: a candidate's predicted boundary tested on lines across it near its own point. On the
// truth's first layer (32-16-16-16-4 seed 8, where most layer-2 candidates had no testable crossing on random lines),
// a true layer-2 neuron's partial row must pass, and a layer-3 boundary's piece taken for a layer-2 row (its
// linearisation within one layer-2 pattern) must be tested and fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOUNDARY_PASS, BOUNDARY_TESTS, boundaryHits } from '../src/extract/test-boundary.js';
import { KnownLayers } from '../src/geometry/known.js';
import { normalize } from '../src/linalg/vec.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { localContext } from './local-context.js';

/** A point where pre-activation (layer, j) of `net` is 0, by bisection on a random line through the origin region. */
function boundaryPoint(net: Network, layer: number, j: number, seed: number): Float64Array {
  const rng = makeRng(seed);
  const n = net.layers[0].inDim;
  for (;;) {
    const o = normalVector(rng, n);
    const d = normalVector(rng, n);
    const at = (t: number) => o.map((v, i) => v + t * d[i]);
    const f = (t: number) => preActivations(net, at(t), 1)[layer][j];
    let [lo, hi] = [-3, 3];
    if (Math.sign(f(lo)) === Math.sign(f(hi))) continue;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (Math.sign(f(mid)) === Math.sign(f(lo))) lo = mid;
      else hi = mid;
    }
    return at(0.5 * (lo + hi));
  }
}

/**
 * The row over layer-1 activations that pre-activation (layer, j) is at x, within x's pattern of the layers between;
 * the weights of layer-1 neurons off at x undetermined (0), as a single boundary point leaves them. Also the boundary's
 * normal at x.
 */
function rowAt(net: Network, layer: number, j: number, x: Float64Array) {
  const pre = preActivations(net, x, 1);
  const H = net.layers[0].outDim;
  // d(pre[layer][j]) / d(a1), by the chain through the active neurons of layers 2..layer.
  let g = Float64Array.from({ length: net.layers[layer].outDim }, (_, r) => (r === j ? 1 : 0));
  for (let k = layer; k >= 1; k--) {
    const l = net.layers[k];
    const back = new Float64Array(l.inDim);
    for (let r = 0; r < l.outDim; r++) for (let i = 0; i < l.inDim; i++) back[i] += g[r] * l.W[r * l.inDim + i];
    g = k > 1 ? back.map((v, i) => (pre[k - 1][i] > 0 ? v : 0)) : back;
  }
  const a1 = pre[0].map((v) => Math.max(0, v));
  const w = g.map((v, h) => (a1[h] > 0 ? v : 0));
  const b = pre[layer][j] - w.reduce((s, v, h) => s + v * a1[h], 0);
  const undetermined = Array.from({ length: H }, (_, h) => h).filter((h) => a1[h] <= 0);
  const L1 = net.layers[0];
  const normal = new Float64Array(L1.inDim);
  for (let h = 0; h < H; h++) if (a1[h] > 0) for (let i = 0; i < L1.inDim; i++) normal[i] += w[h] * L1.W[h * L1.inDim + i];
  return { row: { w, b, undetermined }, at: { x, normal: normalize(normal) } };
}

test('near lines: a true layer-2 row passes, a layer-3 piece taken for one is tested and fails', async () => {
  const truth = randomNetwork([32, 16, 16, 16, 4], 8);
  const known = new KnownLayers(truth.layers.slice(0, 1));
  const signs = new Int8Array(16).fill(1);
  const ctx = localContext(truth, makeRng(3));
  const real = rowAt(truth, 1, 4, boundaryPoint(truth, 1, 4, 11));
  const piece = rowAt(truth, 2, 6, boundaryPoint(truth, 2, 6, 12));
  assert.ok(piece.row.undetermined.length > 0 && real.row.undetermined.length > 0, 'partial rows, as single points give');
  const hits = await boundaryHits(ctx, known, signs, [real.row, piece.row], BOUNDARY_TESTS, { near: [real.at, piece.at] });
  assert.equal(hits[0].tested, BOUNDARY_TESTS, 'the true row is tested as often as asked');
  assert.ok(hits[0].points.length >= BOUNDARY_PASS * hits[0].tested, `true row: ${hits[0].points.length} of ${hits[0].tested}`);
  assert.ok(hits[1].tested > 0, 'the piece is tested');
  assert.ok(hits[1].points.length < BOUNDARY_PASS * hits[1].tested, `piece: ${hits[1].points.length} of ${hits[1].tested}`);
});
