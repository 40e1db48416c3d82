// Pre-images through whole networks: layer by layer from the top, MIP over activation patterns below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invertNetwork } from '../src/invert/network.js';
import { forward } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { outputAfter } from '../src/invert/activations.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** N(x) = ReLU(x) + ReLU(−x) = |x|. */
function absNetwork(): Network {
  return {
    activation: 'relu',
    layers: [
      { inDim: 1, outDim: 2, W: Float64Array.from([1, -1]), b: new Float64Array(2) },
      { inDim: 2, outDim: 1, W: Float64Array.from([1, 1]), b: new Float64Array(1) },
    ],
  };
}

test('6-30-30-30: N(x) inverted back to x to 1e-8; the only pre-image in the box', async () => {
  for (const seed of [1, 2]) {
    const net = randomNetwork([6, 30, 30, 30], seed);
    const x = normalVector(makeRng(50 + seed), 6);
    const res = await invertNetwork(net, forward(net, x, 1));
    assert.equal(res.kind, 'singleton', res.reason);
    assert.equal(res.unique, true);
    assert.equal(res.scope, 'box');
    assert.equal(res.method, 'mip');
    // The square linear last layer has a single pre-image; layer 2 (about half its rows active) does
    // not, so the MIP takes over for layers 1..2.
    assert.deepEqual(res.steps.map((s) => s.layer), [3, 2]);
    assert.equal(res.steps[0].kind, 'singleton');
    assert.ok(res.steps[1].kind === 'bounded' || res.steps[1].kind === 'unbounded', res.steps[1].kind);
    assert.ok(maxDiff(res.point!, x) <= 1e-8, `error ${maxDiff(res.point!, x)}`);
    assert.ok(res.residual! <= 1e-9);
  }
});

test('widening network 4-16-80-200: a single pre-image at every layer, proven layer by layer', async () => {
  const net = randomNetwork([4, 16, 80, 200], 3);
  const x = normalVector(makeRng(7), 4);
  const res = await invertNetwork(net, forward(net, x, 1));
  assert.equal(res.kind, 'singleton', res.reason);
  assert.equal(res.method, 'layer-by-layer');
  assert.equal(res.scope, 'global');
  assert.deepEqual(res.steps.map((s) => s.kind), ['singleton', 'singleton', 'singleton']);
  assert.ok(maxDiff(res.point!, x) <= 1e-8, `error ${maxDiff(res.point!, x)}`);
});

test('a hidden layer as target (--layer 1): the single-layer answer, exact and global', async () => {
  const net = randomNetwork([6, 30, 30, 30], 1);
  const x = normalVector(makeRng(51), 6);
  const res = await invertNetwork(net, outputAfter(net, x, 1), { layer: 1 });
  assert.equal(res.kind, 'singleton');
  assert.equal(res.scope, 'global');
  assert.ok(maxDiff(res.point!, x) <= 1e-9);
});

test('contractive 10-8-4: an unbounded pre-image, and a point that maps to y', async () => {
  const net = randomNetwork([10, 8, 4], 2);
  const y = forward(net, normalVector(makeRng(3), 10), 1);
  const res = await invertNetwork(net, y);
  assert.equal(res.kind, 'unbounded', res.reason);
  assert.equal(res.unique, false);
  assert.ok(res.residual! <= 1e-9);
  assert.ok(maxDiff(forward(net, res.point!, 1), y) <= 1e-9);
});

test('|x| as a network: two isolated pre-images, the second found by the uniqueness MIP', async () => {
  // N(x) = ReLU(x) + ReLU(−x): N(x) = 2 at x = ±2 only, each alone in its activation region.
  const abs = absNetwork();
  const res = await invertNetwork(abs, [2]);
  assert.equal(res.kind, 'multiple', res.reason);
  assert.equal(res.unique, false);
  assert.equal(res.piece, 'singleton');
  assert.deepEqual([Math.abs(res.point![0]), res.point![0] + res.witness![0]], [2, 0]);
  // And N(x) = 0 only at x = 0.
  const zero = await invertNetwork(abs, [0]);
  assert.equal(zero.kind, 'singleton', zero.reason);
  assert.ok(Math.abs(zero.point![0]) <= 1e-12);
});

test('no pre-image: negative ReLU output, unreachable output, and nothing inside the box', async () => {
  const net = randomNetwork([6, 30, 30, 30], 1);
  const h1 = outputAfter(net, normalVector(makeRng(51), 6), 1);
  h1[h1.findIndex((v) => v === 0)] = -1;
  const neg = await invertNetwork(net, h1, { layer: 1 });
  assert.equal(neg.kind, 'empty');
  assert.equal(neg.scope, 'global');
  assert.match(neg.reason, /negative/);

  // ReLU(x) + ReLU(−x) = −1: no non-negative hidden vector sums to −1, proven at the top layer.
  const unreachable = await invertNetwork(absNetwork(), [-1]);
  assert.equal(unreachable.kind, 'empty', unreachable.reason);
  assert.equal(unreachable.scope, 'global');
  assert.match(unreachable.reason, /^layer 2: /);

  // The output of an input outside the box: none inside it (and with a wider box, found).
  const outside = new Float64Array(6).fill(5);
  const y = forward(net, outside, 1);
  const box = { lower: new Float64Array(6).fill(-1), upper: new Float64Array(6).fill(1) };
  const inBox = await invertNetwork(net, y, { box });
  assert.equal(inBox.kind, 'empty', inBox.reason);
  assert.equal(inBox.scope, 'box');
  const wide = { lower: new Float64Array(6).fill(-6), upper: new Float64Array(6).fill(6) };
  const found = await invertNetwork(net, y, { box: wide, checkUniqueness: false });
  assert.ok(maxDiff(found.point!, outside) <= 1e-8, `error ${maxDiff(found.point!, outside)}`);
});
