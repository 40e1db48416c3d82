// End to end: real black boxes (ONNX files, a flaky HTTP server, a subprocess) extracted by the driver and
// compared with the truth; resume from the query log; refusal of a tanh network; one-line errors with the
// partial result saved. Small networks (6-8-2, 10-8-8-1) so that it stays fast.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createServeHandler } from '../src/cli/serve.js';
import { extractNetwork, type ExtractResult } from '../src/extract/driver.js';
import { compareNetworks } from '../src/network/compare.js';
import { readNetworkJson, writeNetworkJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { writeOnnxNetwork } from '../src/network/onnx.js';
import { makeRng } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { OnnxOracle } from '../src/oracle/onnx.js';
import { openOracle, type OracleSpec } from '../src/oracle/open.js';
import { probeBlackBox } from '../src/oracle/probe.js';
import { QueryLog } from '../src/oracle/query-log.js';
import { listen, stop } from './http-test-server.js';

const dir = mkdtempSync(join(tmpdir(), 'relurev-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const shallow = randomNetwork([6, 8, 2], 1);
const deep = randomNetwork([10, 8, 8, 1], 3);
const file = (name: string) => join(dir, name);

before(() => {
  writeNetworkJson(file('shallow.json'), shallow);
  writeOnnxNetwork(file('shallow.onnx'), shallow);
  writeOnnxNetwork(file('shallow-f32.onnx'), shallow, { dtype: 'float32' });
  writeOnnxNetwork(file('deep.onnx'), deep);
  writeOnnxNetwork(file('deep-f32.onnx'), deep, { dtype: 'float32', ops: 'matmul' });
});

/**
 * Open the black box, extract it and close it, as `relurev extract` does: a source of unknown precision
 * (--url, --cmd) is probed first, with the same seed.
 */
async function extract(spec: OracleSpec, seed = 1): Promise<{ result: ExtractResult; fresh: number; replayed: number }> {
  const opened = await openOracle(spec);
  const { oracle } = opened;
  try {
    let precision = opened.precision;
    if (precision === undefined) {
      oracle.phase = 'probe';
      const probe = await probeBlackBox(oracle, seed);
      assert.ok(probe.piecewiseLinear, probe.reason);
      precision = probe.precision;
      oracle.phase = 'other';
    }
    const result = await extractNetwork(oracle, { seed, precision });
    return { result, fresh: oracle.fresh, replayed: oracle.replayed };
  } finally {
    await oracle.close();
  }
}

function worstError(result: ExtractResult, truth: Network): number {
  assert.ok(result.network, `nothing recovered: ${result.error ?? JSON.stringify(result.unresolved)}`);
  return compareNetworks(result.network, truth).worstRelErr;
}

/** Run the CLI; resolves with its exit code and output (killed after 30 s). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (s: Buffer) => (stdout += s.toString()));
    child.stderr.on('data', (s: Buffer) => (stderr += s.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

const bb = (model: string, extra = '') => `"${process.execPath}" test/fixtures/bb.mjs "${model}" ${extra}`;

test('--model float64 ONNX, depth 1: worst relative weight error <= 1e-6 (CLI, written as ONNX)', async () => {
  const out = file('recovered.onnx');
  const r = await cli(['extract', '--model', file('shallow.onnx'), '--out', out, '--truth', file('shallow.onnx'), '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { complete: boolean; architecture: string; comparison: { worstRelErr: number } };
  assert.equal(summary.complete, true);
  assert.equal(summary.architecture, '6-8-2');
  assert.ok(summary.comparison.worstRelErr <= 1e-6, String(summary.comparison.worstRelErr));
  const c = await cli(['compare', out, file('shallow.json')]);
  assert.equal(c.code, 0, c.stderr + c.stdout);
});

test('--model float64 ONNX, depth 2: worst relative weight error <= 1e-6', async () => {
  const { result } = await extract({ model: file('deep.onnx') });
  assert.equal(result.complete, true, JSON.stringify(result.unresolved));
  assert.deepEqual(result.widths, [8, 8]);
  assert.ok(worstError(result, deep) <= 1e-6);
});

test('--model float32 ONNX export, depth 1: worst relative weight error <= 1e-3', async () => {
  const { result } = await extract({ model: file('shallow-f32.onnx') });
  assert.equal(result.complete, true, JSON.stringify(result.unresolved));
  assert.ok(worstError(result, shallow) <= 1e-3, String(worstError(result, shallow)));
});

test('--model float32 ONNX export, depth 2: worst relative weight error <= 1e-3', async () => {
  const { result } = await extract({ model: file('deep-f32.onnx') });
  assert.equal(result.complete, true, JSON.stringify(result.unresolved));
  assert.deepEqual(result.widths, [8, 8]);
  assert.ok(worstError(result, deep) <= 1e-3, String(worstError(result, deep)));
});

test('serve + --url behind a flaky server (20% 5xx, delays): the same result as --model', async () => {
  const direct = await extract({ model: file('shallow.onnx') });
  const rng = makeRng(5);
  const model = await OnnxOracle.open(file('shallow.onnx'));
  const serve = createServeHandler(model);
  let failed = 0;
  const { url, server } = await listen((req, res) => {
    if (rng.uniform() < 0.2) {
      failed++;
      req.resume();
      res.writeHead(503).end();
    } else {
      setTimeout(() => serve(req, res), Math.floor(rng.uniform() * 5));
    }
  });
  try {
    const viaUrl = await extract({ url, inputDim: 6, retries: 10, concurrency: 4 });
    assert.ok(failed > 0);
    assert.equal(viaUrl.result.complete, true, viaUrl.result.error);
    assert.ok(worstError(viaUrl.result, shallow) <= 1e-6);
    // Same answers, same seed: the same network.
    assert.deepEqual(viaUrl.result.network, direct.result.network);
  } finally {
    await stop(server);
    await model.close();
  }
});

test('--cmd: the same result as --model', async () => {
  const direct = await extract({ model: file('shallow.json') });
  const viaCmd = await extract({ cmd: bb(file('shallow.json')), inputDim: 6 });
  assert.equal(viaCmd.result.complete, true, viaCmd.result.error);
  assert.ok(worstError(viaCmd.result, shallow) <= 1e-6);
  assert.deepEqual(viaCmd.result.network, direct.result.network);
});

test('resume after a budget stop: the same result; new queries = original total - logged', async () => {
  const full = await extract({ model: file('shallow.json') }, 3);
  const total = full.result.queries;
  const log = file('resume.log');
  const stopped = await extract({ model: file('shallow.json'), queryLog: log, budget: Math.floor(total / 2) }, 3);
  assert.equal(stopped.result.complete, false);
  assert.match(stopped.result.error ?? '', /budget exhausted/);
  const logged = readFileSync(log, 'utf8').trim().split('\n').length - 1;
  const resumed = await extract({ model: file('shallow.json'), queryLog: log }, 3);
  assert.equal(resumed.result.complete, true);
  assert.deepEqual(resumed.result.network, full.result.network);
  assert.equal(resumed.replayed, logged);
  assert.equal(resumed.fresh, total - logged);
  assert.equal(resumed.result.queries, total);
});

test('CLI resume: a --budget stop exits 1 with the partial result saved; rerun with the same log completes', async () => {
  const log = file('cli.log');
  const out = file('cli.json');
  const args = ['extract', '--model', file('shallow.json'), '--query-log', log, '--out', out, '--json', '--quiet'];
  const first = await cli([...args, '--budget', '1000']);
  assert.equal(first.code, 1);
  assert.match(first.stderr.trim(), /^relurev: error: extraction incomplete: query budget exhausted: .*partial result written/);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).partial, true);
  const second = await cli(args);
  assert.equal(second.code, 0, second.stderr);
  const full = await extract({ model: file('shallow.json') }, 0);
  assert.deepEqual(readNetworkJson(out), full.result.network);
});

test('CLI killed (SIGKILL) in the middle: resuming from the log asks only the rest and gives the same result', async () => {
  const log = file('killed.log');
  const slow = bb(file('shallow.json'), '--delay-ms 2');
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'extract', '--cmd', slow, '--input-dim', '6', '--batch-size', '16'];
  const child = spawn(process.execPath, [...args, '--seed', '4', '--query-log', log, '--out', file('killed.json'), '--quiet'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const answered = () => {
    try {
      return readFileSync(log, 'latin1').split('\n').length - 2;
    } catch {
      return 0;
    }
  };
  for (let waited = 0; answered() < 1500 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  const reopened = QueryLog.open(log, 6);
  const logged = reopened.loaded;
  reopened.close();
  assert.ok(logged >= 1500, `logged ${logged}`);

  const full = await extract({ cmd: bb(file('shallow.json')), inputDim: 6, batchSize: 16 }, 4);
  assert.ok(full.result.complete && logged < full.result.queries, `killed too late: ${logged} of ${full.result.queries}`);
  const resumed = await extract({ cmd: bb(file('shallow.json')), inputDim: 6, batchSize: 16, queryLog: log }, 4);
  assert.deepEqual(resumed.result.network, full.result.network);
  assert.equal(resumed.replayed, logged);
  assert.equal(resumed.fresh, full.result.queries - logged);
});

test('a tanh network is refused with a clear message (--cmd)', async () => {
  const out = file('tanh.json');
  const r = await cli(['extract', '--cmd', bb(file('shallow.json'), '--act tanh'), '--input-dim', '6', '--out', out, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^relurev: error: extraction incomplete: not a ReLU network: it is smooth: second differences along random lines scale like h²[^\n]*$/);
});

test('an HTTP endpoint that answers garbage and a subprocess that exits: one-line error, exit 1, partial result saved', async () => {
  let requests = 0;
  const serve = createServeHandler(await OnnxOracle.open(file('shallow.onnx')));
  const { url, server } = await listen((req, res) => {
    if (++requests > 20) {
      req.resume();
      res.end('<html>500 internal</html>');
    } else {
      serve(req, res);
    }
  });
  try {
    const out = file('garbage.json');
    const r = await cli(['extract', '--url', url, '--input-dim', '6', '--batch-size', '64', '--out', out, '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^relurev: error: extraction incomplete: .*answered garbage: not JSON[^\n]*partial result written/);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).partial, true);
  } finally {
    await stop(server);
  }
  const out = file('exited.json');
  const r = await cli(['extract', '--cmd', bb(file('shallow.json'), '--exit-after 5'), '--input-dim', '6', '--out', out, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^relurev: error: extraction incomplete: .*the program exited with code 3[^\n]*partial result written/);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).partial, true);
});

test('a truncated ONNX file: one-line error, exit 2', async () => {
  const bytes = readFileSync(file('shallow.onnx'));
  writeFileSync(file('truncated.onnx'), bytes.subarray(0, bytes.length - 40));
  const r = await cli(['extract', '--model', file('truncated.onnx'), '--out', file('t.json'), '--quiet']);
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^relurev: error: [^\n]*truncated\.onnx[^\n]*$/);
});
