import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { align, normalise } from '../src/network/align.js';
import { compareNetworks, comparisonVerdict, exactWhereNotListed, formatComparison } from '../src/network/compare.js';
import { writeNetworkJson } from '../src/network/format.js';
import { forward } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, type Rng } from '../src/network/random.js';
import { cloneNetwork, type Network } from '../src/network/types.js';

/**
 * A network and, per hidden layer, the truth index of each of its neurons (-1 for a neuron the
 * truth does not have): what a correct alignment must find.
 */
interface Tracked {
  net: Network;
  origin: number[][];
}

function identity(net: Network): Tracked {
  return { net: cloneNetwork(net), origin: net.layers.slice(0, -1).map((l) => Array.from({ length: l.outDim }, (_, j) => j)) };
}

function shuffle(rng: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The same function with every hidden layer's neurons permuted and scaled by random s in [e^-3, e^3], 1/s moved into the next layer. */
function permuteAndScale(t: Tracked, seed: number): Tracked {
  const rng = makeRng(seed);
  const net = cloneNetwork(t.net);
  const origin: number[][] = [];
  for (let k = 0; k < net.layers.length - 1; k++) {
    const l = net.layers[k];
    const next = net.layers[k + 1];
    const perm = shuffle(rng, l.outDim);
    const s = perm.map(() => Math.exp(6 * rng.uniform() - 3));
    const W = new Float64Array(l.W.length);
    const b = new Float64Array(l.outDim);
    const Wn = new Float64Array(next.W.length);
    perm.forEach((p, j) => {
      for (let i = 0; i < l.inDim; i++) W[j * l.inDim + i] = s[j] * l.W[p * l.inDim + i];
      b[j] = s[j] * l.b[p];
      for (let r = 0; r < next.outDim; r++) Wn[r * next.inDim + j] = next.W[r * next.inDim + p] / s[j];
    });
    l.W = W;
    l.b = b;
    next.W = Wn;
    origin.push(perm.map((p) => t.origin[k][p]));
  }
  return { net, origin };
}

/** Delete neuron j of hidden layer k (its row, and its column in the next layer). */
function removeNeuron(t: Tracked, k: number, j: number): Tracked {
  const net = cloneNetwork(t.net);
  const l = net.layers[k];
  const next = net.layers[k + 1];
  const keep = Array.from({ length: l.outDim }, (_, i) => i).filter((i) => i !== j);
  net.layers[k] = {
    inDim: l.inDim,
    outDim: keep.length,
    W: Float64Array.from(keep.flatMap((r) => Array.from(l.W.subarray(r * l.inDim, (r + 1) * l.inDim)))),
    b: Float64Array.from(keep.map((r) => l.b[r])),
  };
  net.layers[k + 1] = {
    inDim: keep.length,
    outDim: next.outDim,
    W: Float64Array.from({ length: next.outDim * keep.length }, (_, x) => next.W[Math.floor(x / keep.length) * next.inDim + keep[x % keep.length]]),
    b: next.b,
  };
  const origin = t.origin.map((o) => [...o]);
  origin[k].splice(j, 1);
  return { net, origin };
}

/** Append a random neuron (row, bias and outgoing column) to hidden layer k. */
function addNeuron(t: Tracked, k: number, rng: Rng): Tracked {
  const net = cloneNetwork(t.net);
  const l = net.layers[k];
  const next = net.layers[k + 1];
  net.layers[k] = {
    inDim: l.inDim,
    outDim: l.outDim + 1,
    W: Float64Array.from([...l.W, ...Array.from({ length: l.inDim }, () => rng.normal())]),
    b: Float64Array.from([...l.b, rng.normal()]),
  };
  const n = l.outDim + 1;
  net.layers[k + 1] = {
    inDim: n,
    outDim: next.outDim,
    W: Float64Array.from({ length: next.outDim * n }, (_, x) => (x % n === l.outDim ? rng.normal() : next.W[Math.floor(x / n) * next.inDim + (x % n)])),
    b: next.b,
  };
  const origin = t.origin.map((o) => [...o]);
  origin[k].push(-1);
  return { net, origin };
}

/** Every matched pair of every hidden layer is the neuron it came from; missing/spurious exactly as constructed. */
function assertAlignment(recovered: Tracked, truth: Network): void {
  const matches = align(recovered.net, truth);
  recovered.origin.forEach((origin, k) => {
    const m = matches[k];
    for (const p of m.pairs) assert.equal(p.truth, origin[p.recovered], `layer ${k}: recovered ${p.recovered} matched to ${p.truth}`);
    assert.deepEqual(m.spurious, origin.flatMap((o, r) => (o === -1 ? [r] : [])));
    const found = new Set(origin);
    assert.deepEqual(m.missing, Array.from({ length: truth.layers[k].outDim }, (_, j) => j).filter((j) => !found.has(j)));
  });
}

const archArb = fc.record({
  input: fc.integer({ min: 2, max: 6 }),
  hidden: fc.array(fc.integer({ min: 2, max: 8 }), { minLength: 1, maxLength: 3 }),
  output: fc.integer({ min: 1, max: 3 }),
  netSeed: fc.integer({ min: 0, max: 1e6 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});
const dimsOf = (a: { input: number; hidden: number[]; output: number }) => [a.input, ...a.hidden, a.output];
const fcParams = { numRuns: 30, seed: 4242 };

test('normalise: unit incoming rows, same function', () => {
  const net = randomNetwork([5, 7, 6, 3], 11);
  const n = normalise(net);
  for (const l of n.layers.slice(0, -1)) {
    for (let j = 0; j < l.outDim; j++) {
      const row = l.W.subarray(j * l.inDim, (j + 1) * l.inDim);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-14);
    }
  }
  const rng = makeRng(3);
  const xs = Float64Array.from({ length: 50 * 5 }, () => 3 * rng.normal());
  const y0 = forward(net, xs, 50);
  const y1 = forward(n, xs, 50);
  y0.forEach((v, i) => assert.ok(Math.abs(v - y1[i]) <= 1e-12 * (1 + Math.abs(v))));
});

test('a permuted, positively rescaled copy compares as identical (depth 1-3)', () => {
  fc.assert(
    fc.property(archArb, (a) => {
      const truth = randomNetwork(dimsOf(a), a.netSeed);
      const copy = permuteAndScale(identity(truth), a.seed);
      assertAlignment(copy, truth);
      const c = compareNetworks(copy.net, truth, { samples: 200 });
      assert.ok(c.architectureMatches);
      assert.equal(c.layers.length, a.hidden.length + 1);
      assert.ok(c.worstRelErr < 1e-12, `worstRelErr ${c.worstRelErr}`);
      assert.ok(c.functionalError < 1e-12, `functionalError ${c.functionalError}`);
      for (const l of c.layers) {
        assert.ok(l.logErrW < -12 && l.logErrB < -12, `layer ${l.layer}: ${l.logErrW}, ${l.logErrB}`);
        assert.equal(l.matched, l.trueWidth);
        assert.equal(l.missing + l.spurious, 0);
      }
      assert.ok(comparisonVerdict(c, 1e-6).pass);
    }),
    fcParams,
  );
});

test('one weight perturbed by 1e-4 of its row scale fails a 1e-6 tolerance, and is measured at that size', () => {
  fc.assert(
    fc.property(archArb, (a) => {
      // Perturb in the canonical coordinates, where "relative to its row's scale" is the reported measure.
      const truth = normalise(randomNetwork(dimsOf(a), a.netSeed));
      const rng = makeRng(a.seed);
      const k = rng.int(truth.layers.length);
      const l = truth.layers[k];
      const j = rng.int(l.outDim);
      const row = Array.from(l.W.subarray(j * l.inDim, (j + 1) * l.inDim));
      // In a hidden layer, a change along the row itself is a rescaling that normalisation absorbs;
      // the smallest entry (|w_i|² <= 1/2 of the unit row) keeps at least half of the change.
      const i = k < truth.layers.length - 1 ? row.reduce((m, v, x) => (Math.abs(v) < Math.abs(row[m]) ? x : m), 0) : rng.int(l.inDim);
      const scale = Math.max(...row.map(Math.abs), Math.abs(l.b[j]));
      const perturbed = cloneNetwork(truth);
      perturbed.layers[k].W[j * l.inDim + i] += 1e-4 * scale;
      const c = compareNetworks(permuteAndScale(identity(perturbed), a.seed + 1).net, truth, { samples: 100 });
      assert.ok(c.architectureMatches);
      assert.equal(comparisonVerdict(c, 1e-6).pass, false);
      for (const before of c.layers.slice(0, k)) assert.ok(before.maxRelErr < 1e-12);
      const hit = c.layers[k].maxRelErr;
      assert.ok(hit > 4e-5 && hit < 1.1e-4, `layer ${k + 1}: maxRelErr ${hit}`);
      assert.ok(c.layers[k].logErrW > -12);
    }),
    fcParams,
  );
});

test('a sign-flipped neuron is matched to its truth and shows a large error', () => {
  fc.assert(
    fc.property(archArb, (a) => {
      const truth = randomNetwork(dimsOf(a), a.netSeed);
      const rng = makeRng(a.seed);
      const k = rng.int(a.hidden.length);
      const flipped = cloneNetwork(truth);
      const l = flipped.layers[k];
      const j = rng.int(l.outDim);
      for (let i = 0; i < l.inDim; i++) l.W[j * l.inDim + i] *= -1;
      l.b[j] *= -1;
      const copy = permuteAndScale({ net: flipped, origin: identity(truth).origin }, a.seed + 1);
      assertAlignment(copy, truth);
      const c = compareNetworks(copy.net, truth, { samples: 100 });
      for (const before of c.layers.slice(0, k)) assert.ok(before.maxRelErr < 1e-12);
      // The flipped row's largest entry is off by twice itself.
      assert.ok(Math.abs(c.layers[k].maxRelErr - 2) < 1e-9, `maxRelErr ${c.layers[k].maxRelErr}`);
      assert.equal(comparisonVerdict(c, 1e-6).pass, false);
    }),
    fcParams,
  );
});

test('a missing neuron is reported missing, a spurious one spurious', () => {
  fc.assert(
    fc.property(archArb, (a) => {
      const truth = randomNetwork(dimsOf(a), a.netSeed);
      const rng = makeRng(a.seed);
      const k = rng.int(a.hidden.length);
      const j = rng.int(a.hidden[k]);
      const cases: [Tracked, 'missing' | 'spurious'][] = [
        [permuteAndScale(removeNeuron(identity(truth), k, j), a.seed + 1), 'missing'],
        [permuteAndScale(addNeuron(identity(truth), k, rng), a.seed + 2), 'spurious'],
      ];
      for (const [rec, kind] of cases) {
        assertAlignment(rec, truth);
        const c = compareNetworks(rec.net, truth, { samples: 100 });
        assert.equal(c.architectureMatches, false);
        assert.equal(c.worstRelErr, Infinity);
        assert.equal(comparisonVerdict(c, 1e-6).pass, false);
        const lk = c.layers[k];
        assert.equal(lk[kind], 1);
        assert.equal(lk[kind === 'missing' ? 'spurious' : 'missing'], 0);
        assert.equal(lk.matched, a.hidden[k] - (kind === 'missing' ? 1 : 0));
        // The neurons that are there are exact, in this layer and every one before it.
        for (const l of c.layers.slice(0, k + 1)) assert.ok(l.maxRelErr < 1e-12, `layer ${l.layer}: ${l.maxRelErr}`);
      }
    }),
    fcParams,
  );
});

test('different depths: the common hidden prefix is compared, the architecture does not match', () => {
  const truth = randomNetwork([4, 5, 6, 7, 2], 5);
  const other = randomNetwork([4, 5, 6, 2], 6);
  const recovered: Network = { activation: 'relu', layers: [...truth.layers.slice(0, 2), other.layers[2]] };
  const c = compareNetworks(permuteAndScale(identity(recovered), 9).net, truth, { samples: 100 });
  assert.equal(c.architectureMatches, false);
  assert.equal(c.worstRelErr, Infinity);
  assert.deepEqual(c.layers.map((l) => [l.layer, l.output]), [[1, false], [2, false]]);
  for (const l of c.layers) assert.ok(l.maxRelErr < 1e-12);
  assert.ok(c.functionalError > 1e-3);
});

test('the table has one row per layer and the summary lines', () => {
  const truth = randomNetwork([3, 4, 2], 1);
  const text = formatComparison(compareNetworks(permuteAndScale(identity(truth), 2).net, truth));
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0], /^layer\s+true\s+found\s+matched\s+missing\s+spurious\s+log err W\s+log err b\s+max rel err\s+median rel err$/);
  assert.match(lines[1], /^1\s+4\s+4\s+4\s+0\s+0\s/);
  assert.match(lines[2], /^out\s+2\s+2\s+2\s+0\s+0\s/);
  assert.equal(new Set(lines.slice(0, 3).map((s) => s.length)).size, 1, 'fixed width');
  assert.match(text, /architecture: recovered 3-4-2, truth 3-4-2 \(same\)/);
  assert.match(text, /functional error: /);
});

test('CLI: exit 0 on an equivalent network, 1 on a perturbed one, 2 on a bad file', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'relurev-compare-'));
  const truth = randomNetwork([6, 8, 5, 3], 21);
  const same = permuteAndScale(identity(truth), 22).net;
  const perturbed = cloneNetwork(same);
  perturbed.layers[1].W[3] *= 1 + 1e-4;
  const files = { truth: join(dir, 'truth.json'), same: join(dir, 'same.json'), perturbed: join(dir, 'perturbed.json'), bad: join(dir, 'bad.json') };
  writeNetworkJson(files.truth, truth);
  writeNetworkJson(files.same, same);
  writeNetworkJson(files.perturbed, perturbed);
  writeFileSync(files.bad, '{"format": "relurev-mlp"');
  const run = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', 'compare', ...args], { cwd: root, encoding: 'utf8' });

  const ok = run(files.same, files.truth, '--samples', '300');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^PASS: /m);

  const bad = run(files.perturbed, files.truth, '--json');
  assert.equal(bad.status, 1, bad.stderr);
  const json = JSON.parse(bad.stdout);
  assert.equal(json.pass, false);
  assert.match(json.verdict, /worst relative weight error .* > tol 1e-6/);
  assert.equal(json.layers.length, 3);

  // A looser tolerance lets the same file pass on its weights (the function moved by less than 1e-2 too).
  assert.equal(run(files.perturbed, files.truth, '--tol', '1e-2').status, 0);

  const broken = run(files.bad, files.truth);
  assert.equal(broken.status, 2);
  // npx itself may warn about npm configuration on stderr; the command's own output is one line.
  const own = broken.stderr.split('\n').filter((s) => s !== '' && !s.startsWith('npm warn'));
  assert.equal(own.length, 1, broken.stderr);
  assert.match(own[0], /^relurev: error: .*bad\.json: not valid JSON/);
});

test('exactWhereNotListed: wrong weights pass only where the run lists their neuron, and only if the function is exact', () => {
  // Layer-1 neuron H is never active (bias −1000), so layer-2 weights from it change nothing: seed 001 §5's case.
  const truth = randomNetwork([10, 8, 8, 2], 4);
  const H = 3;
  truth.layers[0].b[H] = -1000;
  const J = 5;
  const ambiguous = cloneNetwork(truth);
  ambiguous.layers[1].W[J * 8 + H] += 0.7;
  const c = compareNetworks(ambiguous, truth, { samples: 200 });
  assert.ok(c.functionalError < 1e-12, 'the change is invisible');
  assert.equal(comparisonVerdict(c, 1e-6).pass, false);
  assert.equal(exactWhereNotListed(c, [], 1e-6), false, 'not listed');
  assert.equal(exactWhereNotListed(c, [{ layer: 2, neuron: J }], 1e-6), true, 'listed');
  assert.equal(exactWhereNotListed(c, [{ layer: 2, neuron: J + 1 }], 1e-6), false, 'another neuron listed');
  assert.equal(exactWhereNotListed(c, [{ layer: 2 }], 1e-6), false, 'an entry naming no neuron excuses nothing');
  // A wrong weight elsewhere, which does change the function, fails whatever is listed.
  const wrong = cloneNetwork(ambiguous);
  wrong.layers[1].W[(J + 1) * 8 + 0] += 0.1;
  const cw = compareNetworks(wrong, truth, { samples: 200 });
  assert.equal(exactWhereNotListed(cw, [{ layer: 2, neuron: J }], 1e-6), false);
  // An exact copy passes with nothing listed.
  const exact = compareNetworks(cloneNetwork(truth), truth, { samples: 200 });
  assert.equal(exactWhereNotListed(exact, [], 1e-6), true);
});
