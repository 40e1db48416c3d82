// deeper-layer.ts inertInputs / withoutInputs: a layer-(k−1) neuron with no part in layer k (its weight ~0 in every
// row that determined it, at least half of them) is dropped, and the rows renumbered without it. A weight that is
// merely small, or left undetermined by most rows, keeps its neuron.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inertInputs, withoutInputs } from '../src/extract/deeper-layer.js';
import type { RowEstimate } from '../src/extract/layer-solve.js';

const row = (w: number[], undetermined: number[] = []): RowEstimate => ({ w: Float64Array.from(w), b: 0.3, undetermined, consistency: 0 });

test('inertInputs: ~0 wherever determined is inert; small, or mostly undetermined, is not', () => {
  const rows = [
    row([0.5, -0.7, 1e-13, 0.2, 0], [4]),
    row([1e-4, 0.9, -2e-14, 0.4, 0], [4]),
    row([0.3, 0.1, 0, -0.6, 0], [2, 4]),
    row([-0.8, 0.2, 3e-14, 0.5, 1e-14]),
  ];
  assert.deepEqual(inertInputs(rows), [2]);
  assert.deepEqual(inertInputs([]), []);
});

test('withoutInputs: the dropped weights removed, undetermined inputs renumbered', () => {
  const rows = withoutInputs([row([1, 2, 3, 4, 5], [2, 3, 4]), row([6, 7, 8, 9, 10])], [1, 3]);
  assert.deepEqual(Array.from(rows[0].w), [1, 3, 5]);
  assert.deepEqual(rows[0].undetermined, [1, 2]);
  assert.deepEqual(Array.from(rows[1].w), [6, 8, 10]);
  assert.equal(rows[1].b, 0.3);
});
