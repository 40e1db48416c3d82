import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forward } from '../src/network/forward.js';
import { ModelFormatError, networkFromJson, networkToJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { archString } from '../src/network/types.js';

test('JSON round trip is exact in float64', () => {
  const net = randomNetwork([5, 7, 3], 1);
  const back = networkFromJson(JSON.parse(JSON.stringify(networkToJson(net))));
  assert.equal(archString(back), '5-7-3');
  assert.deepEqual(back.layers[0].W, net.layers[0].W);
  assert.deepEqual(back.layers[1].b, net.layers[1].b);
});

test('forward pass matches a hand computation', () => {
  const net = networkFromJson({
    format: 'relurev-mlp', version: 1, activation: 'relu',
    layers: [
      { weights: [[1, -1], [2, 0]], biases: [0, -1] },
      { weights: [[1, 1]], biases: [0.5] },
    ],
  });
  // x = (1, 3): z = (-2, 1) -> relu (0, 1) -> y = 1.5; x = (2, 0): z = (2, 3) -> y = 5.5
  const y = forward(net, Float64Array.from([1, 3, 2, 0]), 2);
  assert.deepEqual(Array.from(y), [1.5, 0.5 + 2 + 3]);
});

const bad: [string, unknown, RegExp][] = [
  ['missing layers', { format: 'relurev-mlp', version: 1, activation: 'relu' }, /layers/],
  ['wrong format tag', { format: 'x', version: 1, activation: 'relu', layers: [] }, /format/],
  ['ragged rows', { format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, 2], [3]], biases: [0, 0] }] }, /layers\[0\]\.weights\[1\]: has 1 entries, expected 2/],
  ['non-numeric', { format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, 'a']], biases: [0] }] }, /layers\[0\]\.weights\[0\]\[1\]/],
  ['NaN as null', { format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, null]], biases: [0] }] }, /layers\[0\]\.weights\[0\]\[1\]/],
  ['bias count', { format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, 2]], biases: [0, 1] }] }, /biases: has 2 entries, expected 1/],
  ['shape chain', { format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, 2]], biases: [0] }, { weights: [[1, 2]], biases: [0] }] }, /input size 2 does not match layer 0's output size 1/],
];
for (const [name, data, re] of bad) {
  test(`validation names the problem: ${name}`, () => {
    assert.throws(() => networkFromJson(data, 'm.json'), (e: unknown) => e instanceof ModelFormatError && re.test(e.message) && !e.message.includes('\n'));
  });
}
