// probeBlackBox: ReLU networks (narrow, wide, expansive; float64, float32, noisy) pass; tanh, sigmoid and
// other smooth or wild black boxes are refused with a reason; precision is detected; bounded queries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomNetwork } from '../src/network/init.js';
import type { Network } from '../src/network/types.js';
import { Float32Oracle } from '../src/oracle/float32.js';
import { LocalOracle } from '../src/oracle/local.js';
import { probeBlackBox } from '../src/oracle/probe.js';
import type { Oracle } from '../src/oracle/types.js';
import { makeRng } from '../src/network/random.js';

/** The network's weights with another hidden activation (a black box that is not a ReLU network). */
class ActivationOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  constructor(
    private readonly net: Network,
    private readonly act: (z: number) => number,
  ) {
    this.inputDim = net.layers[0].inDim;
    this.outputDim = net.layers[net.layers.length - 1].outDim;
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    let h = xs;
    this.net.layers.forEach((l, k) => {
      const out = new Float64Array(n * l.outDim);
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < l.outDim; j++) {
          let z = l.b[j];
          for (let i = 0; i < l.inDim; i++) z += l.W[j * l.inDim + i] * h[s * l.inDim + i];
          out[s * l.outDim + j] = k < this.net.layers.length - 1 ? this.act(z) : z;
        }
      }
      h = out;
    });
    return h;
  }
}

/** Adds seeded Gaussian noise of relative size sigma to every answer. */
class NoisyOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly rng = makeRng(3);
  constructor(
    private readonly inner: Oracle,
    private readonly sigma: number,
  ) {
    this.inputDim = inner.inputDim;
    this.outputDim = inner.outputDim;
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    return (await this.inner.query(xs, n)).map((v) => v + this.sigma * this.rng.normal());
  }
}

const tanh = Math.tanh;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const archs = [
  [6, 8, 2],
  [6, 8, 6, 2],
  [3, 200, 200, 1], // expansive: kinks everywhere at coarse steps
  [100, 64, 64, 10],
];

test('ReLU networks are piecewise linear, at the right precision, in float64, float32 and with noise', async () => {
  for (const arch of archs) {
    const net = randomNetwork(arch, 1);
    const cases: [string, Oracle, 'float64' | 'float32'][] = [
      ['float64', new LocalOracle(net), 'float64'],
      ['float32', new Float32Oracle(new LocalOracle(net)), 'float32'],
      ['noisy', new NoisyOracle(new LocalOracle(net), 1e-6), 'float32'],
    ];
    for (const [name, oracle, precision] of cases) {
      const r = await probeBlackBox(oracle, 1);
      const what = `${arch.join('-')} ${name}: ${JSON.stringify(r)}`;
      assert.equal(r.piecewiseLinear, true, what);
      assert.equal(r.precision, precision, what);
      assert.ok(r.queries <= 2000, what);
    }
  }
  const leaky = await probeBlackBox(new ActivationOracle(randomNetwork([6, 8, 2], 2), (z) => (z > 0 ? z : 0.1 * z)), 1);
  assert.equal(leaky.piecewiseLinear, true, 'leaky ReLU is piecewise linear too');
});

test('noise floor: unit roundoff for clean black boxes, the measured noise for noisy ones', async () => {
  const net = randomNetwork([6, 8, 2], 4);
  assert.equal((await probeBlackBox(new LocalOracle(net), 2)).noiseFloor, 2 ** -53);
  assert.equal((await probeBlackBox(new Float32Oracle(new LocalOracle(net)), 2)).noiseFloor, 2 ** -24);
  const noisy = await probeBlackBox(new NoisyOracle(new LocalOracle(net), 1e-4), 2);
  assert.ok(noisy.noiseFloor > 1e-6 && noisy.noiseFloor < 1e-2, String(noisy.noiseFloor));
});

test('tanh and sigmoid networks are refused as smooth, in float64 and float32', async () => {
  for (const arch of archs) {
    const net = randomNetwork(arch, 1);
    for (const [name, act] of [
      ['tanh', tanh],
      ['sigmoid', sigmoid],
    ] as const) {
      for (const oracle of [new ActivationOracle(net, act), new Float32Oracle(new ActivationOracle(net, act))]) {
        const r = await probeBlackBox(oracle, 1);
        assert.equal(r.piecewiseLinear, false, `${arch.join('-')} ${name}: ${JSON.stringify(r)}`);
        assert.match(r.reason ?? '', /smooth: second differences along random lines scale like h²/);
      }
    }
  }
});

test('a wiggly black box is refused; the probe is deterministic given its seed', async () => {
  const net = randomNetwork([20, 50, 50, 1], 1);
  const r = await probeBlackBox(new ActivationOracle(net, (z) => Math.sin(40 * z)), 1);
  assert.equal(r.piecewiseLinear, false);
  assert.match(r.reason ?? '', /not piecewise linear|smooth/);
  const again = await probeBlackBox(new ActivationOracle(net, (z) => Math.sin(40 * z)), 1);
  assert.deepEqual(again, r);
});
