// meeting-point.ts: a point where a partial row's boundary B_z meets an undetermined neuron's boundary B_h, from the
// known layers alone. On the truth's own layers (10-8-8-8-2 seed 9, layer-3 neuron 5 with its weights from layer-2
// neurons 0 and 3 undetermined) the point must lie on both true boundaries, keep the other undetermined neuron off
// and cost no query; approachFromMeeting must then cross B_h for real and return a point of B_z with h active.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approachFromMeeting } from '../src/extract/approach.js';
import type { RowEstimate } from '../src/extract/layer-solve.js';
import { meetingPoint } from '../src/extract/meeting-point.js';
import { KnownLayers } from '../src/geometry/known.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';
import { localContext } from './local-context.js';

test('meetingPoint lies on B_z and B_h with the other undetermined neuron off; the crossing there sees h active', async () => {
  const truth = randomNetwork([10, 8, 8, 8, 2], 9);
  const known = new KnownLayers(truth.layers.slice(0, 2));
  const signs = new Int8Array(8).fill(1);
  const L3 = truth.layers[2];
  const z = 5;
  const row: RowEstimate = { w: L3.W.slice(z * 8, z * 8 + 8), b: L3.b[z], undetermined: [0, 3], consistency: 0 };
  row.w[0] = 0;
  row.w[3] = 0;
  const ctx = localContext(truth, makeRng(1));
  const h = 0;
  const x = await meetingPoint(ctx, known, signs, row, h);
  assert.ok(x, 'a meeting point exists within the box');
  assert.equal(ctx.oracle.queries, 0);
  const pre = preActivations(truth, x, 1);
  const scale = 1 + Math.max(...Array.from(x).map(Math.abs));
  assert.ok(Math.abs(pre[1][h]) < 1e-9 * scale, `on B_h: ${pre[1][h]}`);
  assert.ok(Math.abs(pre[2][z]) < 1e-9 * scale, `on B_z: ${pre[2][z]}`);
  assert.ok(pre[1][3] < 0, 'the other undetermined neuron is off');
  const pt = await approachFromMeeting(ctx, known, signs, row, x, h, null);
  assert.ok(pt, 'B_h crossed for real');
  const at = preActivations(truth, pt.x, 1);
  assert.ok(at[1][h] > 0, 'h active past the crossing');
  assert.ok(Math.abs(at[2][z]) < 1e-6 * (1 + Math.max(...Array.from(pt.x).map(Math.abs))), `still on B_z: ${at[2][z]}`);
});
