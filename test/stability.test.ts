// Stability (seed 004 slides 13–19): the spectra of the linearization per layer prefix, checked
// against an SVD of the Jacobian computed numerically (central differences) at the same points.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { preActivations } from '../src/network/forward.js';
import { memorisationTask } from '../src/network/datasets.js';
import { writeNetworkJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import type { Network } from '../src/network/types.js';
import { svd, toMatrix } from '../src/linalg/solve.js';
import { spectraAt, summarizeSpectra } from '../src/invert/stability.js';

/** A small network trained a few epochs on the memorisation task (seed 001 §6). */
function trainedNet(): Network {
  const net = randomNetwork([8, 24, 16, 5], 11);
  const data = memorisationTask(8, 200, 12);
  trainClassifier(net, data.xs, data.labels, data.n, { epochs: 5, seed: 13 });
  return net;
}

/** Layer k's pre-activation (stage 'pre') or ReLU output restricted to active neurons ('post'). */
function numericalJacobian(net: Network, x: Float64Array, layer: number, stage: 'pre' | 'post'): { J: Float64Array; rows: number } {
  const n = x.length;
  const z0 = preActivations(net, x, 1)[layer - 1];
  const rowsIdx = [...z0.keys()].filter((i) => stage === 'pre' || z0[i] > 0);
  const J = new Float64Array(rowsIdx.length * n);
  const h = 1e-6;
  for (let c = 0; c < n; c++) {
    const xp = x.slice();
    const xm = x.slice();
    xp[c] += h;
    xm[c] -= h;
    const fp = preActivations(net, xp, 1)[layer - 1];
    const fm = preActivations(net, xm, 1)[layer - 1];
    rowsIdx.forEach((i, r) => (J[r * n + c] = (fp[i] - fm[i]) / (2 * h)));
  }
  return { J, rows: rowsIdx.length };
}

test('singular values per layer match an SVD of the numerical Jacobian (trained network)', () => {
  const net = trainedNet();
  const rng = makeRng(5);
  for (let p = 0; p < 3; p++) {
    const x = normalVector(rng, 8);
    const spectra = spectraAt(net, x);
    assert.deepEqual(spectra.map((s) => `${s.layer}${s.stage}`), ['1pre', '1post', '2pre', '2post', '3pre']);
    for (const sp of spectra) {
      const { J, rows } = numericalJacobian(net, x, sp.layer, sp.stage);
      assert.equal(sp.rows, rows, `layer ${sp.layer} ${sp.stage}: rows`);
      const ref = svd(toMatrix(J, rows, 8)).s;
      assert.equal(sp.singularValues.length, ref.length);
      const scale = Math.max(1, ref[0]);
      sp.singularValues.forEach((s, i) => assert.ok(Math.abs(s - ref[i]) <= 1e-6 * scale, `layer ${sp.layer} ${sp.stage} σ_${i}: ${s} vs ${ref[i]}`));
      const nonzero = ref.filter((v) => v > 1e-8 * ref[0]);
      assert.equal(sp.rank, nonzero.length);
      assert.ok(Math.abs(sp.sigmaMinNonzero - nonzero[nonzero.length - 1]) <= 1e-6 * scale);
      assert.ok(Math.abs(sp.condition - ref[0] / nonzero[nonzero.length - 1]) <= 1e-5 * sp.condition);
    }
  }
});

test('rank drops where ReLU removes rows: 4 active neurons give rank 4 in a 6-dim input', () => {
  // Layer 1 has 6 neurons on 6 inputs: W = I, b = 0. At x with 4 positive coordinates, the ReLU
  // output's Jacobian keeps 4 rows: rank 4, σ = 1 (4 times); before the ReLU it is I (rank 6).
  const net: Network = {
    activation: 'relu',
    layers: [
      { inDim: 6, outDim: 6, W: Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)), b: new Float64Array(6) },
      { inDim: 6, outDim: 2, W: Float64Array.from([1, 2, 3, 4, 5, 6, 0, 1, 0, 1, 0, 1]), b: new Float64Array(2) },
    ],
  };
  const [pre, post, out] = spectraAt(net, Float64Array.from([1, 2, -1, 3, -2, 4]));
  assert.equal(pre.rank, 6);
  assert.equal(post.rank, 4);
  assert.ok(post.singularValues.every((s) => Math.abs(s - 1) < 1e-14));
  // Output: rows (1, 2, 0, 4, 0, 6) and (0, 1, 0, 1, 0, 1) after masking columns 3 and 5.
  assert.equal(out.rank, 2);
  const summary = summarizeSpectra([spectraAt(net, Float64Array.from([1, 2, -1, 3, -2, 4])), spectraAt(net, Float64Array.from([1, 1, 1, 1, 1, 1]))]);
  assert.deepEqual(summary[1].rank, { min: 4, median: 5, max: 6 });
});

test('relurev stability: prints the table, draws the chart, and agrees with the library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relurev-stab-'));
  const netPath = join(dir, 'net.json');
  const net = randomNetwork([5, 12, 3], 2);
  writeNetworkJson(netPath, net);
  const out = join(dir, 'spectrum.svg');
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'stability', netPath, ...args], { encoding: 'utf8' });
  const r = cli('--points', '2', '--seed', '4', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const rng = makeRng(4);
  const expected = [normalVector(rng, 5), normalVector(rng, 5)].map((x) => spectraAt(net, x));
  assert.deepEqual(json.spectra.map((sp: { singularValues: number[] }[]) => sp.map((s) => s.singularValues)), expected.map((sp) => sp.map((s) => s.singularValues)));
  assert.ok(readFileSync(out, 'utf8').startsWith('<svg'));
  // Inputs from a file; PNG output; the human table.
  const inputs = join(dir, 'inputs.json');
  writeFileSync(inputs, JSON.stringify({ inputs: [[0.5, -1, 2, 0, 1]] }));
  const png = join(dir, 'spectrum.png');
  const t = cli('--inputs', inputs, '--out', png);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /at the 1 inputs of/);
  assert.match(t.stdout, /^2 +output +/m);
  assert.ok(existsSync(png));
  // Bad input: one line, exit 2.
  const bad = cli('--out', join(dir, 'x.txt'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^relurev: error: --out .*\.svg or \.png/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});
