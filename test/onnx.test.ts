// ONNX import/export (onnx-proto) and the onnxruntime black box: exact float64 round trips, float32,
// the layouts PyTorch exporters produce, fixed batch sizes, and one-line errors for bad files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { ModelFormatError } from '../src/network/format.js';
import { forward } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { loadNetwork, saveNetwork } from '../src/network/load.js';
import { networkToOnnx, onnxToNetwork, writeOnnxNetwork } from '../src/network/onnx.js';
import { makeRng, normalVector } from '../src/network/random.js';
import { archString, type Network } from '../src/network/types.js';
import { OnnxOracle } from '../src/oracle/onnx.js';
import { openOracle } from '../src/oracle/open.js';

const { onnx } = onnxProto;
const dir = mkdtempSync(join(tmpdir(), 'relurev-onnx-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const net = randomNetwork([6, 8, 6, 2], 11);

function maxDiff(a: Network, b: Network): number {
  let m = 0;
  a.layers.forEach((l, k) => {
    l.W.forEach((v, i) => (m = Math.max(m, Math.abs(v - b.layers[k].W[i]))));
    l.b.forEach((v, i) => (m = Math.max(m, Math.abs(v - b.layers[k].b[i]))));
  });
  return m;
}

/** Relative max error of an oracle against the float64 forward pass. */
async function oracleError(o: OnnxOracle, n: number): Promise<number> {
  const xs = normalVector(makeRng(5), n * 6);
  const got = await o.query(xs, n);
  const want = forward(net, xs, n);
  let err = 0;
  let scale = 0;
  want.forEach((v, i) => {
    err = Math.max(err, Math.abs(got[i] - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return err / scale;
}

test('float64 ONNX round trip is exact, in both layouts', () => {
  for (const ops of ['gemm', 'matmul'] as const) {
    const back = onnxToNetwork(networkToOnnx(net, { ops }));
    assert.equal(archString(back), '6-8-6-2');
    assert.equal(maxDiff(back, net), 0, ops);
  }
});

test('float32 ONNX export holds the float32-rounded weights', () => {
  const back = onnxToNetwork(networkToOnnx(net, { dtype: 'float32' }));
  back.layers.forEach((l, k) => l.W.forEach((v, i) => assert.equal(v, Math.fround(net.layers[k].W[i]))));
});

test('PyTorch-style graphs: Gemm without transB, alpha/beta, Constant weights, Identity, initializers listed as inputs', () => {
  const one = randomNetwork([3, 4, 2], 2);
  const dbl = (name: string, dims: number[], v: ArrayLike<number>) => ({ name, dims, dataType: 11, doubleData: Array.from(v) });
  const l0 = one.layers[0];
  const l1 = one.layers[1];
  // Layer 0 as Gemm(transB=0) on W^T/2 with alpha=2, bias [1,4] scaled by beta=0.5 (stored doubled).
  const W0t = new Float64Array(12);
  for (let j = 0; j < 4; j++) for (let i = 0; i < 3; i++) W0t[i * 4 + j] = l0.W[j * 3 + i] / 2;
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ version: 11 }],
    graph: {
      input: [
        { name: 'x', type: { tensorType: { elemType: 11, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }] } } } },
        { name: 'w0', type: { tensorType: { elemType: 11 } } },
      ],
      output: [{ name: 'y' }],
      initializer: [dbl('w0', [3, 4], W0t), dbl('b0', [1, 4], Array.from(l0.b, (v) => 2 * v))],
      node: [
        { opType: 'Identity', input: ['x'], output: ['x1'] },
        {
          opType: 'Gemm',
          input: ['x1', 'w0', 'b0'],
          output: ['z0'],
          attribute: [
            { name: 'alpha', type: 1, f: 2 },
            { name: 'beta', type: 1, f: 0.5 },
          ],
        },
        { opType: 'Relu', input: ['z0'], output: ['h0'] },
        { opType: 'Constant', output: ['w1'], attribute: [{ name: 'value', type: 4, t: dbl('', [2, 4], l1.W) }] },
        { opType: 'Constant', output: ['b1'], attribute: [{ name: 'value', type: 4, t: dbl('', [2], l1.b) }] },
        { opType: 'Gemm', input: ['h0', 'w1', 'b1'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
      ],
    },
  });
  const back = onnxToNetwork(onnx.ModelProto.encode(model).finish());
  assert.equal(archString(back), '3-4-2');
  assert.equal(maxDiff(back, one), 0);
});

test('onnxruntime black box: float64 to rounding, float32 to float32 precision, fixed batch served in chunks', async () => {
  const cases = [
    { dtype: 'float64', ops: 'gemm', batch: undefined, tol: 1e-14 },
    { dtype: 'float64', ops: 'matmul', batch: 3, tol: 1e-14 },
    { dtype: 'float32', ops: 'gemm', batch: undefined, tol: 1e-6 },
    { dtype: 'float32', ops: 'matmul', batch: 1, tol: 1e-6 },
  ] as const;
  for (const c of cases) {
    const path = join(dir, `net-${c.dtype}-${c.ops}-${c.batch}.onnx`);
    writeOnnxNetwork(path, net, c);
    const o = await OnnxOracle.open(path);
    try {
      assert.equal(o.precision, c.dtype);
      assert.equal(o.fixedBatch, c.batch ?? null);
      assert.equal(o.outputDim, 2);
      assert.ok((await oracleError(o, 7)) <= c.tol, JSON.stringify(c));
    } finally {
      await o.close();
    }
  }
});

test('saveNetwork/loadNetwork dispatch on the extension', async () => {
  for (const name of ['saved.onnx', 'saved.json']) {
    const path = join(dir, name);
    saveNetwork(path, net, { partial: true, meta: { arch: '6-8-6-2' } });
    assert.equal(maxDiff(await loadNetwork(path), net), 0, name);
  }
  const meta = onnx.ModelProto.decode(readFileSync(join(dir, 'saved.onnx'))).metadataProps;
  assert.deepEqual(
    meta.map((p) => [p.key, p.value]),
    [
      ['arch', '6-8-6-2'],
      ['partial', 'true'],
    ],
  );
  assert.equal(readFileSync(join(dir, 'saved.json'), 'utf8').slice(0, 1), '{');
});

test('truncated, garbage and non-MLP ONNX files are one-line ModelFormatErrors', async () => {
  const good = networkToOnnx(net);
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
  const garbage = join(dir, 'garbage.onnx');
  writeFileSync(garbage, 'this is not a protobuf at all');
  for (const path of [truncated, garbage]) {
    await assert.rejects(loadNetwork(path), (e: Error) => e instanceof ModelFormatError && /not a valid ONNX file/.test(e.message) && !e.message.includes('\n'));
    await assert.rejects(OnnxOracle.open(path), (e: Error) => e instanceof ModelFormatError && !e.message.includes('\n'));
  }
  const tanh = onnx.ModelProto.decode(good);
  for (const node of tanh.graph!.node ?? []) if (node.opType === 'Relu') node.opType = 'Tanh';
  assert.throws(() => onnxToNetwork(onnx.ModelProto.encode(tanh).finish(), 'tanh.onnx'), /unsupported operator Tanh/);
  const reluOut = onnx.ModelProto.decode(networkToOnnx(net));
  const g = reluOut.graph!;
  g.node!.push(onnx.NodeProto.create({ opType: 'Relu', input: ['output'], output: ['output_relu'] }));
  g.output![0].name = 'output_relu';
  assert.throws(() => onnxToNetwork(onnx.ModelProto.encode(reluOut).finish()), /last layer is followed by Relu/);
});

test('openOracle on ONNX: precision from the model types; a graph that is not a ReLU MLP is flagged for the probe', async () => {
  const relu = join(dir, 'relu32.onnx');
  writeOnnxNetwork(relu, net, { dtype: 'float32' });
  const tanhModel = onnx.ModelProto.decode(networkToOnnx(net));
  for (const node of tanhModel.graph!.node ?? []) if (node.opType === 'Relu') node.opType = 'Tanh';
  const tanh = join(dir, 'tanh.onnx');
  writeFileSync(tanh, onnx.ModelProto.encode(tanhModel).finish());
  for (const [path, precision, reluKnown] of [
    [relu, 'float32', true],
    [tanh, 'float64', false],
  ] as const) {
    const opened = await openOracle({ model: path });
    assert.deepEqual([opened.precision, opened.reluKnown, opened.oracle.outputDim], [precision, reluKnown, 2], path);
    await opened.oracle.close();
  }
});

test('CLI: a truncated ONNX model is one line on stderr and exit code 2', () => {
  const path = join(dir, 'truncated.onnx');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', path, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^relurev: error: .*truncated\.onnx: cannot load ONNX model/);
});
