// End-to-end recovery of one-hidden-layer networks through the library (issue 2): the width is found, not given,
// and the result compares with the truth within 1e-6 (worst relative weight error and functional error), after
// alignment, for at least 9 of 10 seeds per network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractNetwork } from '../src/extract/driver.js';
import { compareNetworks, comparisonVerdict } from '../src/network/compare.js';
import { memorisationTask } from '../src/network/datasets.js';
import { randomNetwork } from '../src/network/init.js';
import { streamSeed } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import { hiddenWidths, type Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';

const TOL = 1e-6;

interface Outcome {
  seed: number;
  pass: boolean;
  why: string;
  queries: number;
}

async function recover(truth: Network, seed: number): Promise<Outcome> {
  const oracle = new CountingOracle(new LocalOracle(truth));
  const r = await extractNetwork(oracle, { seed });
  // The count the result reports is the oracle's own count.
  assert.equal(r.queries, oracle.queries);
  if (!r.network || r.network.layers.length !== r.widths.length + 1) {
    return { seed, pass: false, why: `no complete network: ${r.error ?? JSON.stringify(r.unresolved)}`, queries: r.queries };
  }
  const c = compareNetworks(r.network, truth);
  const v = comparisonVerdict(c, TOL);
  const widthsOk = JSON.stringify(r.widths) === JSON.stringify(hiddenWidths(truth));
  const pass = widthsOk && v.pass && r.complete;
  const why = !widthsOk ? `widths [${r.widths}] vs [${hiddenWidths(truth)}]` : !r.complete ? `incomplete: ${JSON.stringify(r.unresolved)}` : v.reason;
  return { seed, pass, why, queries: r.queries };
}

function assertMostPass(label: string, outcomes: Outcome[], min: number): void {
  const failed = outcomes.filter((o) => !o.pass);
  assert.ok(
    outcomes.length - failed.length >= min,
    `${label}: ${outcomes.length - failed.length}/${outcomes.length} recovered; failures: ${failed.map((f) => `seed ${f.seed}: ${f.why}`).join('; ')}`,
  );
}

for (const arch of [
  [10, 20, 2],
  [12, 16, 3],
  // One output, wider than the input: the last layer's 16 signs from 10 equations (output-layer.ts's MIP).
  [10, 16, 1],
]) {
  test(`untrained ${arch.join('-')}: exact width, worst rel err and functional err <= 1e-6 for >= 9 of 10 seeds`, async () => {
    const outcomes: Outcome[] = [];
    for (let seed = 1; seed <= 10; seed++) outcomes.push(await recover(randomNetwork(arch, seed), seed));
    assertMostPass(arch.join('-'), outcomes, 9);
  });
}

test('trained 10-16-2 (memorisation, 200 samples, trained to 100%): recovered for >= 4 of 5 seeds', async () => {
  const outcomes: Outcome[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const net = randomNetwork([10, 16, 2], seed);
    const data = memorisationTask(10, 200, streamSeed(seed, 1));
    const fit = trainClassifier(net, data.xs, data.labels, data.n, { epochs: 1500, lr: 3e-3, seed: streamSeed(seed, 2), targetAccuracy: 1 });
    // A trained target, not a barely moved initialisation.
    assert.ok(fit.accuracy >= 0.9, `seed ${seed}: trained only to ${fit.accuracy}`);
    outcomes.push(await recover(net, seed));
  }
  assertMostPass('trained 10-16-2', outcomes, 4);
});

test('the result reports the queries it used, and the same seed gives the same queries', async () => {
  const truth = randomNetwork([10, 20, 2], 3);
  const a = await recover(truth, 5);
  const b = await recover(truth, 5);
  assert.ok(a.pass, a.why);
  assert.ok(a.queries > 0);
  assert.equal(a.queries, b.queries);
});
