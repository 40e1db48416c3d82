import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memorisationTask, mnistDigits } from '../src/network/datasets.js';
import { randomNetwork } from '../src/network/init.js';
import { lossAndGradient, trainClassifier } from '../src/network/train.js';

test('analytic gradient matches central finite differences for every W and b', () => {
  const net = randomNetwork([4, 6, 5, 3], 11);
  const data = memorisationTask(4, 8, 12);
  data.labels.set([0, 1, 2, 2, 1, 0, 1, 2]);
  const { dW, db } = lossAndGradient(net, data.xs, data.labels, data.n);
  const h = 1e-6;
  const loss = () => lossAndGradient(net, data.xs, data.labels, data.n).loss;
  net.layers.forEach((layer, k) => {
    for (const [name, params, grad] of [['W', layer.W, dW[k]], ['b', layer.b, db[k]]] as const) {
      let maxErr = 0;
      let maxGrad = 0;
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        params[i] = p + h;
        const up = loss();
        params[i] = p - h;
        const down = loss();
        params[i] = p;
        maxErr = Math.max(maxErr, Math.abs((up - down) / (2 * h) - grad[i]));
        maxGrad = Math.max(maxGrad, Math.abs(grad[i]));
      }
      assert.ok(maxGrad > 0, `layer ${k} ${name}: gradient is all zero`);
      assert.ok(maxErr / maxGrad < 1e-6, `layer ${k} ${name}: relative error ${maxErr / maxGrad}`);
    }
  });
});

test('trainClassifier memorises random binary labels and is reproducible from its seed', () => {
  const data = memorisationTask(10, 100, 3);
  const run = () => {
    const net = randomNetwork([10, 32, 2], 4);
    return { net, result: trainClassifier(net, data.xs, data.labels, data.n, { epochs: 500, lr: 3e-3, seed: 5, targetAccuracy: 1 }) };
  };
  const a = run();
  assert.ok(a.result.accuracy >= 0.95, `training accuracy ${a.result.accuracy}`);
  const b = run();
  assert.deepEqual(b.result, a.result);
  assert.deepEqual(b.net.layers[0].W, a.net.layers[0].W);
});

test('mnistDigits: shapes, labels and pixel range', () => {
  const d = mnistDigits(1000);
  assert.equal(d.n, 1000);
  assert.equal(d.xs.length, 1000 * 784);
  assert.equal(d.labels.length, 1000);
  assert.ok(d.xs.every((v) => v >= 0 && v <= 1));
  assert.ok(d.xs.some((v) => v > 0.5));
  const counts = new Array(10).fill(0);
  for (const l of d.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(100));
  assert.equal(mnistDigits().n, 10000);
});

test('a short MNIST training of 784-16-10 on 1000 digits beats 80% training accuracy', () => {
  const d = mnistDigits(1000);
  const net = randomNetwork([784, 16, 10], 1);
  const r = trainClassifier(net, d.xs, d.labels, d.n, { epochs: 10, seed: 2 });
  assert.ok(r.accuracy > 0.8, `training accuracy ${r.accuracy}`);
});
