// Weights a deeper boundary never determines (seed 001 §5: layer-1 neuron h never active where B_j was explored) come
// from the output instead (residue.ts settleResidue). A 10-8-8-2 network whose layer-2 neuron j is on for every
// input sampled: its row's weight from h is zeroed in the "recovered" layers and marked undetermined; the completion
// must put back the true weight; when j is off wherever h is active, the weight is not identifiable and is only set
// to keep j off there, and listed (keptOff).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localContext } from './local-context.js';
import { settleResidue } from '../src/extract/residue.js';
import type { ExtractContext } from '../src/extract/context.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';
import type { Layer, Network } from '../src/network/types.js';
import { forward } from '../src/network/forward.js';

const [J, H] = [2, 5];

function setup(truth: Network): { ctx: ExtractContext; hidden: Layer[]; sample: (m: number) => Float64Array } {
  const ctx = localContext(truth, makeRng(1, 17));
  const rng = makeRng(2, 5);
  const sample = (m: number) => Float64Array.from({ length: m * 10 }, () => rng.normal());
  const [L1, L2] = truth.layers;
  const W = Float64Array.from(L2.W);
  W[J * L2.inDim + H] = 0;
  return { ctx, hidden: [L1, { ...L2, W, b: Float64Array.from(L2.b) }], sample };
}

const undetermined = Array.from({ length: 8 }, (_, j) => (j === J ? [H] : []));

test('an undetermined weight of an always-on row is recovered from the output to 1e-10', async () => {
  const truth = randomNetwork([10, 8, 8, 2], 3);
  truth.layers[1].b[J] += 50; // on for every input sampled
  const { ctx, hidden, sample } = setup(truth);
  const splits = await settleResidue(ctx, hidden, undetermined, sample);
  assert.equal(splits.length, 1, 'one split fits');
  const [settled] = splits;
  assert.deepEqual(settled.completed, [J]);
  assert.equal(settled.alwaysOn, null);
  const done = settled.layer;
  const want = truth.layers[1].W[J * 8 + H];
  const got = done.W[J * 8 + H];
  assert.ok(Math.abs(got - want) <= 1e-10 * Math.abs(want), `${got} vs ${want}`);
  // Every other weight is left as it was.
  done.W.forEach((v, i) => i !== J * 8 + H && assert.equal(v, hidden[1].W[i]));
});

test('no split when the row switches where the missing neuron is active', async () => {
  const truth = randomNetwork([10, 8, 8, 2], 3);
  const { ctx, hidden, sample } = setup(truth);
  assert.deepEqual(await settleResidue(ctx, hidden, undetermined, sample), []);
});

test('a row off wherever the undetermined input is active: its weight is set to keep it off and listed, not made up', async () => {
  const truth = randomNetwork([10, 8, 8, 2], 3);
  truth.layers[1].W[J * 8 + H] = -1e3; // off wherever layer-1 neuron H is active
  const { ctx, hidden, sample } = setup(truth);
  const splits = await settleResidue(ctx, hidden, undetermined, sample);
  assert.ok(splits.length >= 1, 'a split fits');
  for (const s of splits) {
    assert.deepEqual(s.keptOff, [J]);
    assert.deepEqual(s.completed, []);
    // The settled row (its pre-activation: forward's last layer is affine) is off wherever H was active at the
    // residue's samples, and the true row where H is not.
    const { xs, m } = s.samples;
    const net = (L2: Layer): Network => ({ activation: 'relu', layers: [truth.layers[0], L2] });
    const got = forward(net(s.layer), xs, m);
    const a1 = forward({ activation: 'relu', layers: [truth.layers[0]] }, xs, m);
    const want = forward(net(truth.layers[1]), xs, m);
    let active = 0;
    for (let p = 0; p < m; p++) {
      if (a1[p * 8 + H] > 0) {
        active++;
        assert.ok(got[p * 8 + J] < 0, `sample ${p}: off`);
      } else {
        assert.ok(Math.abs(got[p * 8 + J] - want[p * 8 + J]) <= 1e-12 * (1 + Math.abs(want[p * 8 + J])), `sample ${p}`);
      }
    }
    assert.ok(active >= 3, 'H active at some samples');
  }
});
