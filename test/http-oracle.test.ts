// The HTTP black box against real servers on 127.0.0.1: a flaky one (20% of requests fail with 5xx, the
// others are delayed) still gives every answer exactly; garbage, client errors, silence and refused
// connections give clear errors; `relurev serve` validates its input and stops on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createServeHandler, startServer } from '../src/cli/serve.js';
import { writeNetworkJson } from '../src/network/format.js';
import { forward } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';
import { HttpOracle } from '../src/oracle/http.js';
import { LocalOracle } from '../src/oracle/local.js';
import { openOracle } from '../src/oracle/open.js';
import { BadOutputError, OracleError } from '../src/oracle/types.js';
import { listen, stop, type Handler } from './http-test-server.js';

const net = randomNetwork([6, 8, 2], 21);
const dir = mkdtempSync(join(tmpdir(), 'relurev-http-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** relurev's serve handler behind a fault injector: fails `failRate` of requests with 503 (seeded), delays the others by 0-20 ms. */
function flaky(failRate: number, seed: number): { handler: Handler; stats: { failed: number; served: number } } {
  const rng = makeRng(seed);
  const serve = createServeHandler(new LocalOracle(net));
  const stats = { failed: 0, served: 0 };
  const handler: Handler = (req, res) => {
    if (rng.uniform() < failRate) {
      stats.failed++;
      req.resume();
      res.writeHead(503).end('try again');
      return;
    }
    stats.served++;
    setTimeout(() => serve(req, res), Math.floor(rng.uniform() * 20));
  };
  return { handler, stats };
}

test('a flaky server (20% 5xx, delays): every answer arrives, bit-exact', async () => {
  const { handler, stats } = flaky(0.2, 1);
  const { url, server } = await listen(handler);
  try {
    const oracle = new HttpOracle({ url, inputDim: 6, batchSize: 16, concurrency: 4, retries: 8, backoffMs: 5 });
    const n = 400;
    const xs = normalVector(makeRng(2), n * 6);
    const ys = await oracle.query(xs, n);
    assert.deepEqual(ys, forward(net, xs, n)); // JSON numbers round-trip float64 exactly
    assert.equal(oracle.outputDim, 2);
    assert.ok(stats.failed > 0 && oracle.retried === stats.failed, `failed ${stats.failed}, retried ${oracle.retried}`);
  } finally {
    await stop(server);
  }
});

test('openOracle with a URL: learns the output width from one counted "setup" query', async () => {
  const { handler } = flaky(0.2, 3);
  const { url, server } = await listen(handler);
  try {
    const { oracle, label } = await openOracle({ url, inputDim: 6, batchSize: 8, retries: 8 });
    assert.equal(label, url);
    assert.equal(oracle.outputDim, 2);
    assert.equal(oracle.queries, 1);
    assert.equal(oracle.byPhase.get('setup'), 1);
    const xs = normalVector(makeRng(4), 30 * 6);
    assert.deepEqual(await oracle.query(xs, 30), forward(net, xs, 30));
    await oracle.close();
  } finally {
    await stop(server);
  }
});

test('garbage answers are BadOutputErrors; 4xx fails at once; 5xx, silence and refused connections give up after the retries', async () => {
  const answers: [string, (res: ServerResponse) => void, RegExp, typeof OracleError][] = [
    ['not JSON', (res) => res.end('<html>oops</html>'), /answered garbage: not JSON/, BadOutputError],
    ['wrong rows', (res) => res.end('{"outputs": [[1, 2]]}'), /1 output rows for 3 inputs/, BadOutputError],
    ['NaN', (res) => res.end('{"outputs": [[1, 2], [3, "NaN"], [5, 6]]}'), /outputs\[1\]\[1\] is "NaN"/, BadOutputError],
    ['ragged', (res) => res.end('{"outputs": [[1, 2], [3], [5, 6]]}'), /outputs\[1\] is not an array of 2 numbers/, BadOutputError],
    ['404', (res) => res.writeHead(404).end('no such model'), /HTTP 404: no such model/, OracleError],
    ['500', (res) => res.writeHead(500).end(), /gave up after 3 attempts \(last: HTTP 500\)/, OracleError],
    ['silence', () => {}, /gave up after 3 attempts \(last: no answer within 100 ms\)/, OracleError],
  ];
  for (const [name, answer, message, type] of answers) {
    let requests = 0;
    const { url, server } = await listen((req, res) => {
      requests++;
      req.resume();
      answer(res);
    });
    try {
      const oracle = new HttpOracle({ url, inputDim: 6, retries: 2, backoffMs: 1, timeoutMs: 100 });
      await assert.rejects(oracle.query(new Float64Array(18), 3), (e: Error) => e instanceof type && message.test(e.message) && !e.message.includes('\n'), name);
      assert.equal(requests, type === BadOutputError || name === '404' ? 1 : 3, name);
    } finally {
      await stop(server);
    }
  }
  const { url, server } = await listen(() => {});
  await stop(server); // nothing listens there now
  const oracle = new HttpOracle({ url, inputDim: 6, retries: 1, backoffMs: 1 });
  await assert.rejects(oracle.query(new Float64Array(6), 1), /gave up after 2 attempts \(last: connection failed \(ECONNREFUSED\)\)/);
});

test('auth header, rate limit and concurrency limit are applied', async () => {
  const serve = createServeHandler(new LocalOracle(net));
  let inFlight = 0;
  let maxInFlight = 0;
  const starts: number[] = [];
  const { url, server } = await listen((req, res) => {
    if (req.headers.authorization !== 'Bearer secret') {
      req.resume();
      res.writeHead(401).end('bad token');
      return;
    }
    starts.push(Date.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('finish', () => inFlight--);
    setTimeout(() => serve(req, res), 10);
  });
  try {
    await assert.rejects(new HttpOracle({ url, inputDim: 6 }).query(new Float64Array(6), 1), /HTTP 401: bad token/);
    const oracle = new HttpOracle({ url, inputDim: 6, batchSize: 1, concurrency: 2, rateLimit: 100, headers: { Authorization: 'Bearer secret' } });
    const xs = normalVector(makeRng(6), 8 * 6);
    const t0 = Date.now();
    assert.deepEqual(await oracle.query(xs, 8), forward(net, xs, 8));
    const elapsed = Date.now() - t0;
    assert.equal(starts.length, 8);
    assert.ok(maxInFlight <= 2, `max in flight ${maxInFlight}`);
    // The client spaces request starts by 10 ms: the 8th cannot start before 70 ms (1 ms of timer rounding at each
    // end). Measured on the client: server arrival times also carry the first request's connection setup.
    assert.ok(elapsed >= 68, `8 requests at 100/s took ${elapsed} ms`);
  } finally {
    await stop(server);
  }
});

test('serve: malformed requests get 400 with a reason, oversize bodies 413, and the server keeps serving', async () => {
  const running = await startServer(new LocalOracle(net), { port: 0, maxBodyBytes: 2000, maxBatch: 10 });
  assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const post = async (body: string) => {
    const res = await fetch(running.url, { method: 'POST', body });
    return { status: res.status, body: (await res.json()) as { error?: string; outputs?: number[][] } };
  };
  try {
    const bad: [string, number, RegExp][] = [
      ['{"inputs": [[1,2,3]]}', 400, /inputs\[0\]: expected an array of 6 numbers/],
      ['not json', 400, /body is not JSON/],
      ['{"x": 1}', 400, /expected \{"inputs"/],
      ['{"inputs": []}', 400, /0 rows; expected 1 to 10/],
      ['{"inputs": [[1,2,3,4,5,null]]}', 400, /inputs\[0\]\[5\]: not a finite number \(null\)/],
      [JSON.stringify({ inputs: Array(11).fill([1, 2, 3, 4, 5, 6]) }), 400, /11 rows/],
      [JSON.stringify({ inputs: [[1, 2, 3, 4, 5, 6]], pad: 'x'.repeat(3000) }), 413, /over the limit of 2000/],
    ];
    for (const [body, status, reason] of bad) {
      const r = await post(body);
      assert.equal(r.status, status, body.slice(0, 40));
      assert.match(r.body.error ?? '', reason);
    }
    const x = [0.5, -1, 2, 0, 1e-300, -3.25];
    const r = await post(JSON.stringify({ inputs: [x] }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.outputs, [Array.from(forward(net, Float64Array.from(x), 1))]);
    const info = (await (await fetch(running.url)).json()) as { inputDim: number; outputDim: number };
    assert.deepEqual([info.inputDim, info.outputDim], [6, 2]);
  } finally {
    await running.close();
  }
});

test('CLI: relurev serve prints its URL, answers, and stops cleanly on SIGTERM', async () => {
  const model = join(dir, 'net.json');
  writeNetworkJson(model, net);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', model, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (s: Buffer) => {
        out += s.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${out}`)));
    });
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ inputs: [[1, 2, 3, 4, 5, 6]] }) });
    assert.deepEqual(((await res.json()) as { outputs: number[][] }).outputs, [Array.from(forward(net, Float64Array.from([1, 2, 3, 4, 5, 6]), 1))]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /stopped \(SIGTERM\)/);
  } finally {
    clearTimeout(killer);
  }
});
