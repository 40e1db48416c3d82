// The query log: a run stopped by its budget (or killed mid-write) and restarted with the same log and
// seed finishes with the same result, and asks the black box exactly what it had not asked before.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ModelFormatError } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { QueryLog } from '../src/oracle/query-log.js';
import { BudgetExceededError, type Oracle } from '../src/oracle/types.js';

const net = randomNetwork([5, 7, 3], 41);
const dir = mkdtempSync(join(tmpdir(), 'relurev-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A noisy black box (fresh noise on every answer, from its own seeded stream): replays must be the logged answers. */
class NoisyOracle implements Oracle {
  readonly inputDim = 5;
  readonly outputDim = 3;
  private readonly rng = makeRng(99);
  private readonly inner = new LocalOracle(net);
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const ys = await this.inner.query(xs, n);
    return ys.map((v) => v + 1e-6 * this.rng.normal());
  }
}

/**
 * A stand-in for an extraction: deterministic given its seed and the answers (each batch depends on the
 * previous answers), with repeated queries, concurrent batches and several batch sizes.
 */
async function fakeExtraction(oracle: Oracle, seed: number): Promise<number[]> {
  const rng = makeRng(seed);
  const trace: number[] = [];
  let shift = 0;
  for (let step = 0; step < 30; step++) {
    const n = 1 + rng.int(6);
    const xs = normalVector(rng, n * 5).map((v) => v + shift);
    const [ys, again] = await Promise.all([oracle.query(xs, n), oracle.query(xs.subarray(0, 5), 1)]); // the first input twice
    shift = (ys[0] - again[0]) * 1e3 + ys[ys.length - 1];
    trace.push(...ys, ...again);
  }
  return trace;
}

/** Counts what the black box itself is asked. */
class AskCounter implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  asked = 0;
  constructor(private readonly inner: Oracle) {
    this.inputDim = inner.inputDim;
    this.outputDim = inner.outputDim;
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    this.asked += n;
    return this.inner.query(xs, n);
  }
}

test('resume after budget stops: same result, new queries = original total - logged', async () => {
  const reference = new CountingOracle(new LocalOracle(net));
  const expected = await fakeExtraction(reference, 7);
  const total = reference.queries;
  assert.ok(total > 100, `total ${total}`);

  // The same command (budget 40 fresh queries, same log) run again and again until it finishes.
  const path = join(dir, 'resume.log');
  let result: number[] | null = null;
  let runs = 0;
  while (!result && runs < 20) {
    runs++;
    const box = new AskCounter(new LocalOracle(net));
    const log = QueryLog.open(path, 5);
    const oracle = new CountingOracle(box, 40, 'net', { log });
    try {
      result = await fakeExtraction(oracle, 7);
    } catch (e) {
      assert.ok(e instanceof BudgetExceededError, String(e));
    }
    await oracle.close();
    assert.equal(box.asked, oracle.fresh, 'the black box is asked exactly the fresh queries');
    assert.ok(oracle.fresh <= 40);
    assert.equal(oracle.replayed, log.loaded, 'every logged answer is replayed');
    if (result) {
      assert.equal(oracle.queries, total, 'the resumed run counts the same total as an uninterrupted one');
      assert.equal(oracle.fresh, total - log.loaded, 'new queries = original total - logged');
    }
  }
  assert.deepEqual(result, expected);
  assert.ok(runs >= 3, `runs ${runs}`);
});

test('a noisy black box: repeated queries replay the logged answers in order', async () => {
  const path = join(dir, 'noisy.log');
  const first = new CountingOracle(new NoisyOracle(), Infinity, 'noisy', { log: QueryLog.open(path, 5) });
  const result = await fakeExtraction(first, 5);
  await first.close();
  // Budget 0: nothing may be asked; the answers (which steer the later queries) all come from the log.
  const replay = new CountingOracle(new NoisyOracle(), 0, 'noisy', { log: QueryLog.open(path, 5) });
  assert.deepEqual(await fakeExtraction(replay, 5), result);
  assert.equal(replay.replayed, first.queries);
  await replay.close();
});

test('a kill in the middle of a write leaves a torn line, which is dropped on reopen', async () => {
  const path = join(dir, 'torn.log');
  const first = new CountingOracle(new LocalOracle(net), Infinity, 'net', { log: QueryLog.open(path, 5) });
  const done = await fakeExtraction(first, 3);
  await first.close();
  const size = statSync(path).size;
  // Cut the file at an arbitrary byte inside the last third, as a kill during a write would.
  truncateSync(path, Math.floor(size * 0.8) + 17);
  const log = QueryLog.open(path, 5);
  assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  const resumed = new CountingOracle(new LocalOracle(net), Infinity, 'net', { log });
  assert.deepEqual(await fakeExtraction(resumed, 3), done);
  assert.equal(resumed.replayed, log.loaded);
  assert.equal(resumed.fresh, first.queries - log.loaded);
  await resumed.close();
});

test('answers are logged exactly, per chunk, and the log is checked against the black box', () => {
  const path = join(dir, 'format.log');
  const log = QueryLog.open(path, 2);
  log.append(Float64Array.from([1, -0]), Float64Array.from([0.1, 1e-310, -Math.PI]), 1);
  log.close();
  assert.equal(readFileSync(path, 'utf8'), `relurev-query-log 1 2 3\n000000000000f03f0000000000000080 9a9999999999b93f2be6708b68120000182d4454fb2109c0\n`);
  const back = QueryLog.open(path, 2);
  const hit = back.lookup(Float64Array.from([1, -0, 1, 0]), 2);
  assert.deepEqual(hit.missing, [1], '+0 and -0 are different inputs');
  assert.deepEqual(Array.from(hit.answers[0]!), [0.1, 1e-310, -Math.PI]);
  back.close();
  assert.throws(() => QueryLog.open(path, 3), (e: Error) => e instanceof ModelFormatError && /written for a black box with 2 inputs; this one has 3/.test(e.message));
  appendFileSync(path, 'zz not hex\n');
  assert.throws(() => QueryLog.open(path, 2), /line 3 is not "<input hex> <output hex>"/);
  const notLog = join(dir, 'notes.txt');
  writeFileSync(notLog, 'my notes\nno newline at the end');
  assert.throws(() => QueryLog.open(notLog, 2), /not a relurev query log/);
  assert.equal(readFileSync(notLog, 'utf8'), 'my notes\nno newline at the end', 'a file that is not a log is never cut');
  assert.ok(!existsSync(join(dir, 'none.log')));
  const fresh = QueryLog.open(join(dir, 'none.log'), 2);
  assert.equal(fresh.loaded, 0);
  fresh.close();
});

test('every answered chunk is logged even when another chunk of the same batch fails', async () => {
  let calls = 0;
  const failing: Oracle = {
    inputDim: 5,
    outputDim: 3,
    async query(xs, n) {
      if (++calls === 2) throw new Error('chunk 2 failed');
      return new LocalOracle(net).query(xs, n);
    },
  };
  const path = join(dir, 'chunks.log');
  const oracle = new CountingOracle(failing, Infinity, 'flaky', { log: QueryLog.open(path, 5), chunk: 4 });
  await assert.rejects(oracle.query(normalVector(makeRng(8), 12 * 5), 12), /chunk 2 failed/);
  await oracle.close();
  assert.equal(QueryLog.open(path, 5).loaded, 8);
});
