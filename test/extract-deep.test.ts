// End-to-end recovery of deep networks (issue 3): untrained networks (paper §6 init) of depth 2 and 3 through the
// library. The architecture is found, not given: the widths must be exact, the run complete, and the recovered
// network must compare with the truth within 1e-6 (worst relative weight error and functional error, after
// alignment). A budget stop returns what was recovered so far, marked partial, without throwing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractNetwork, type ExtractResult } from '../src/extract/driver.js';
import { compareNetworks, comparisonVerdict } from '../src/network/compare.js';
import { randomNetwork } from '../src/network/init.js';
import { hiddenWidths, type Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';

const TOL = 1e-6;

interface Outcome {
  seed: number;
  pass: boolean;
  why: string;
  result: ExtractResult;
}

async function recover(truth: Network, seed: number): Promise<Outcome> {
  const oracle = new CountingOracle(new LocalOracle(truth));
  const result = await extractNetwork(oracle, { seed });
  assert.equal(result.queries, oracle.queries, 'the result reports the oracle’s own count');
  assert.equal(result.error, undefined, `seed ${seed}: unexpected error ${result.error}`);
  const widths = hiddenWidths(truth);
  const widthsOk = JSON.stringify(result.widths) === JSON.stringify(widths);
  if (!result.network || result.network.layers.length !== result.widths.length + 1) {
    return { seed, pass: false, why: `no complete network (widths [${result.widths}]): ${JSON.stringify(result.unresolved)}`, result };
  }
  const v = comparisonVerdict(compareNetworks(result.network, truth), TOL);
  const pass = widthsOk && result.complete && v.pass;
  const why = !widthsOk
    ? `widths [${result.widths}] vs [${widths}]`
    : !result.complete
      ? `incomplete (${v.reason}): ${JSON.stringify(result.unresolved)}`
      : v.reason;
  return { seed, pass, why, result };
}

function assertMostPass(label: string, outcomes: Outcome[], min: number): void {
  const failed = outcomes.filter((o) => !o.pass);
  assert.ok(
    outcomes.length - failed.length >= min,
    `${label}: ${outcomes.length - failed.length}/${outcomes.length} recovered; failures: ${failed.map((f) => `seed ${f.seed}: ${f.why}`).join('; ')}`,
  );
}

// Issue 3's target is 9 of 10 seeds; today's extraction reaches 10/10 on both (zoomed-out lines find the layer-2
// neurons that almost never change state near the origin). These tests hold that rate, and — the property that must
// never break — a run that reports itself complete is right in everything it reports. Depth 3's rate (4 of 10 seeds
// of 10-8-8-8-2, some runs minutes long) is measured by `npm run bench -- deep`; here, two seeds that take seconds.
for (const [arch, min] of [
  [[10, 8, 8, 1], 9],
  [[8, 10, 8, 2], 9], // expansive first layer (10 > 8 inputs): the signs of layer 1 come from the joint system
] as const) {
  test(`untrained ${arch.join('-')} (depth 2): >= ${min} of 10 seeds exact (widths, complete, <= 1e-6); every complete run exact`, { timeout: 300_000 }, async () => {
    const outcomes: Outcome[] = [];
    for (let seed = 1; seed <= 10; seed++) outcomes.push(await recover(randomNetwork([...arch], seed), seed));
    assertMostPass(arch.join('-'), outcomes, min);
    // A run that reports itself complete agrees with the black box (functional error <= 1e-6), and every neuron it
    // reports is a true neuron within 1e-6: nothing spurious, nothing wrong. It may lack a neuron that never
    // switches on where the network is evaluated (dead: invisible to any query, DESIGN §9).
    for (const o of outcomes) {
      if (!o.result.complete || !o.result.network) continue;
      const c = compareNetworks(o.result.network, randomNetwork([...arch], o.seed));
      assert.ok(c.functionalError <= TOL, `seed ${o.seed} reported complete with functional error ${c.functionalError}`);
      for (const l of c.layers) {
        assert.equal(l.spurious, 0, `seed ${o.seed} layer ${l.layer}: spurious neurons in a complete run`);
        // The output layer's weight from a dead neuron is unidentifiable; the functional error covers that layer.
        if (!l.output) assert.ok(l.maxRelErr <= TOL, `seed ${o.seed} layer ${l.layer}: a reported neuron is off by ${l.maxRelErr}`);
      }
    }
  });
}

test('untrained 10-8-8-8-2 (depth 3), seeds 1 and 10: architecture found, complete, every layer within 1e-6', { timeout: 120_000 }, async () => {
  for (const seed of [1, 10]) {
    const o = await recover(randomNetwork([10, 8, 8, 8, 2], seed), seed);
    assert.ok(o.pass, `seed ${seed}: ${o.why}`);
    assert.deepEqual(o.result.widths, [8, 8, 8]);
  }
});

test('a budget stop returns a partial result with the error set, and never throws', async () => {
  const truth = randomNetwork([10, 8, 8, 1], 1);
  // Too small for the first round of line searches: nothing recovered.
  {
    const oracle = new CountingOracle(new LocalOracle(truth), 300);
    const r = await extractNetwork(oracle, { seed: 1 });
    assert.match(r.error ?? '', /budget/);
    assert.equal(r.complete, false);
    assert.equal(r.partial, true);
    assert.ok(oracle.queries <= 300, `${oracle.queries} queries asked with a budget of 300`);
    assert.equal(r.queries, oracle.queries);
  }
  // Enough for layer 1 (about 4,200 queries for this network) but not for layer 2: layer 1 comes back, exact up to
  // the sign and scale of each row (its signs are only fixed by layer 2), and nothing else is reported.
  {
    const oracle = new CountingOracle(new LocalOracle(truth), 6000);
    const r = await extractNetwork(oracle, { seed: 1 });
    assert.match(r.error ?? '', /budget/);
    assert.equal(r.complete, false);
    assert.equal(r.partial, true);
    assert.ok(oracle.queries <= 6000);
    assert.deepEqual(r.widths, [8], `widths [${r.widths}]`);
    assert.ok(r.network, 'the first layer recovered before the stop is returned');
    assert.equal(r.network.layers.length, 1);
    const L = r.network.layers[0];
    const T = truth.layers[0];
    const unit = (w: Float64Array, b: number) => {
      const s = Math.hypot(...w);
      return [...Array.from(w, (v) => v / s), b / s];
    };
    for (let j = 0; j < L.outDim; j++) {
      const got = unit(L.W.slice(j * L.inDim, (j + 1) * L.inDim), L.b[j]);
      let best = Infinity;
      for (let t = 0; t < T.outDim; t++) {
        const want = unit(T.W.slice(t * T.inDim, (t + 1) * T.inDim), T.b[t]);
        for (const s of [1, -1]) best = Math.min(best, Math.max(...got.map((v, i) => Math.abs(s * v - want[i]))));
      }
      assert.ok(best <= TOL, `partial layer-1 row ${j} matches no true row up to sign and scale (off by ${best.toExponential(2)})`);
    }
  }
});
