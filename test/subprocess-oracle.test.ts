// The subprocess black box (--cmd) against test/fixtures/bb.mjs: exact answers in batches, and a clear
// OracleError when the program exits, answers garbage, reports an error or goes silent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeNetworkJson } from '../src/network/format.js';
import { forward } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import { openOracle } from '../src/oracle/open.js';
import { SubprocessOracle } from '../src/oracle/subprocess.js';
import { BadOutputError, OracleError } from '../src/oracle/types.js';

const net = randomNetwork([6, 8, 2], 31);
const dir = mkdtempSync(join(tmpdir(), 'relurev-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'net.json');
writeNetworkJson(model, net);
const bb = (extra = '') => `"${process.execPath}" test/fixtures/bb.mjs "${model}" ${extra}`;

test('answers are exact, in lines of at most batchSize inputs, and close() ends the program', async () => {
  const oracle = new SubprocessOracle({ cmd: bb(), inputDim: 6, batchSize: 10 });
  try {
    const xs = normalVector(makeRng(1), 35 * 6);
    // Two concurrent calls share the one program; requests go one at a time.
    const [a, b] = await Promise.all([oracle.query(xs, 35), oracle.query(xs.subarray(0, 6), 1)]);
    assert.deepEqual(a, forward(net, xs, 35));
    assert.deepEqual(b, forward(net, xs.subarray(0, 6), 1));
    assert.equal(oracle.outputDim, 2);
  } finally {
    await oracle.close();
  }
});

test('through openOracle: the output width is learned with one counted setup query', async () => {
  const { oracle } = await openOracle({ cmd: bb(), inputDim: 6 });
  try {
    assert.equal(oracle.outputDim, 2);
    assert.equal(oracle.queries, 1);
    const xs = normalVector(makeRng(2), 5 * 6);
    assert.deepEqual(await oracle.query(xs, 5), forward(net, xs, 5));
  } finally {
    await oracle.close();
  }
});

test('a program that exits, answers garbage, reports an error or goes silent gives a clear one-line error', async () => {
  const cases: [string, RegExp, typeof OracleError][] = [
    ['--exit-after 1', /the program exited with code 3 \(stderr: bb\.mjs: exiting on purpose\)/, OracleError],
    ['--garbage-after 1', /answered garbage: not JSON \(this is not json\)/, BadOutputError],
    ['--error-after 1', /reported an error: model exploded/, OracleError],
    ['--hang-after 1', /no answer within 300 ms/, OracleError],
  ];
  for (const [flag, message, type] of cases) {
    const oracle = new SubprocessOracle({ cmd: bb(flag), inputDim: 6, timeoutMs: 300 });
    try {
      await oracle.query(new Float64Array(6), 1); // the first request is fine
      const check = (e: Error) => e instanceof type && message.test(e.message) && !e.message.includes('\n');
      await assert.rejects(oracle.query(new Float64Array(12), 2), check, flag);
      await assert.rejects(oracle.query(new Float64Array(6), 1), check, `${flag}: later queries fail the same way`);
    } finally {
      await oracle.close();
    }
  }
});

test('a command that does not exist fails with the shell\'s message', async () => {
  const oracle = new SubprocessOracle({ cmd: 'relurev-no-such-program-xyz', inputDim: 6 });
  try {
    await assert.rejects(oracle.query(new Float64Array(6), 1), /exited with code 127 \(stderr: .*not found/);
  } finally {
    await oracle.close();
  }
});
