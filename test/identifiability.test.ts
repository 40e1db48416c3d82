// invert/identifiability.ts certifies, from a network, what no query in a box can reveal (seed 001 §5); compare.ts
// exactWhereIdentifiable judges a recovery against those certificates. On a hand-made network each obstacle is known
// by construction; on a random 10-8-8-8-2 network the MIP's "never jointly active" answers must agree with dense
// sampling, and a network the sampling shows fully identifiable must get no obstacle (HiGHS's presolve alone called a
// feasible pair infeasible there: lp.ts confirms infeasible MIPs without it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identifiability } from '../src/invert/identifiability.js';
import { compareNetworks, exactWhereIdentifiable } from '../src/network/compare.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng } from '../src/network/random.js';
import type { Layer, Network } from '../src/network/types.js';

const layer = (rows: number[][], b: number[]): Layer => ({ inDim: rows[0].length, outDim: rows.length, W: Float64Array.from(rows.flat()), b: Float64Array.from(b) });

// h0 = relu(x0), h1 = relu(−x0), h2 = relu(x1); z0 switches, z1 is never on where h0 is (x0 > 0 gives z1 = −2h0 − 1),
// z2 is always on, z3 is dead.
const handMade: Network = {
  activation: 'relu',
  layers: [
    layer([[1, 0], [-1, 0], [0, 1]], [0, 0, 0]),
    layer([[1, 0, 1], [-2, 1, 0], [1, 1, 1], [-1, -1, -1]], [-1, -1, 1, -1]),
    layer([[1, 1, 1, 1]], [0]),
  ],
};

test('hand-made network: dead, always-on and never-jointly-active certified exactly', async () => {
  const r = await identifiability(handMade, { radius: 10 });
  assert.equal(r.undecided, 0);
  const states = r.neurons.map((c) => `${c.layer}:${c.neuron}:${c.state}`);
  assert.deepEqual(states, ['1:0:switches', '1:1:switches', '1:2:switches', '2:0:switches', '2:1:switches', '2:2:always-on', '2:3:dead']);
  assert.deepEqual(r.neverJointly, [{ layer: 2, neuron: 1, from: 0 }]);
});

test('exactWhereIdentifiable excuses exactly the certified parameters', async () => {
  const r = await identifiability(handMade, { radius: 10 });
  const variant = (edit: (net: Network) => void): Network => {
    const net: Network = { activation: 'relu', layers: handMade.layers.map((l) => ({ ...l, W: Float64Array.from(l.W), b: Float64Array.from(l.b) })) };
    edit(net);
    return net;
  };
  const judge = (net: Network) => exactWhereIdentifiable(compareNetworks(net, handMade), r, 1e-6);
  assert.ok(judge(handMade));
  // W_{z1,h0} only has to keep z1 off where h0 is on: −5 instead of −2 is the same function.
  const weight = variant((n) => (n.layers[1].W[3] = -5));
  assert.ok(compareNetworks(weight, handMade).worstRelErr > 1e-2);
  assert.ok(judge(weight));
  // The always-on neuron's bias merges into the output's bias.
  assert.ok(judge(variant((n) => ((n.layers[1].b[2] = 3), (n.layers[2].b[0] = -2)))));
  // The dead neuron may be missing altogether.
  const lean = variant((n) => {
    const [l1, l2] = [n.layers[1], n.layers[2]];
    n.layers[1] = { inDim: 3, outDim: 3, W: l1.W.slice(0, 9), b: l1.b.slice(0, 3) };
    n.layers[2] = { inDim: 3, outDim: 1, W: l2.W.slice(0, 3), b: l2.b };
  });
  assert.ok(judge(lean));
  // An identifiable weight wrong, or a switching neuron missing: not exact.
  assert.ok(!judge(variant((n) => (n.layers[1].W[4] = 1.5))));
  assert.ok(!judge(variant((n) => (n.layers[1].b[0] = -1.5))));
});

/** Whether some of `count` Gaussian inputs at each scale put layer-3 neuron z and layer-2 neuron i both on. */
function sampledJointly(net: Network, z: number, i: number, count: number): boolean {
  const rng = makeRng(7);
  for (const s of [1, 16, 256]) {
    for (let q = 0; q < count; q++) {
      const x = Float64Array.from({ length: 10 }, () => s * rng.normal());
      const pre = preActivations(net, x, 1);
      if (pre[2][z] > 0 && pre[1][i] > 0) return true;
    }
  }
  return false;
}

test('random 10-8-8-8-2: certificates agree with sampling', async () => {
  const seed4 = randomNetwork([10, 8, 8, 8, 2], 4);
  const r4 = await identifiability(seed4, { radius: 1000 });
  assert.equal(r4.undecided, 0);
  assert.ok(r4.neurons.every((c) => c.state === 'switches'));
  assert.deepEqual(r4.neverJointly, [
    { layer: 3, neuron: 7, from: 2 },
    { layer: 3, neuron: 7, from: 3 },
  ]);
  for (const p of r4.neverJointly) assert.ok(!sampledJointly(seed4, p.neuron, p.from, 5000));
  // A pair sampling finds active together is never certified otherwise (seed 3, layer 2 neuron 1 and layer 1 neuron 4
  // is the pair HiGHS's presolve got wrong).
  const seed3 = randomNetwork([10, 8, 8, 8, 2], 3);
  const r3 = await identifiability(seed3, { radius: 1000 });
  assert.deepEqual(r3.neverJointly, []);
  assert.ok(r3.neurons.every((c) => c.state === 'switches'));
});

test('relurev identifiability: the table, --json, and one-line errors', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeNetworkJson } = await import('../src/network/format.js');
  const dir = mkdtempSync(join(tmpdir(), 'relurev-ident-'));
  const netPath = join(dir, 'net.json');
  writeNetworkJson(netPath, handMade);
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'identifiability', ...args], { encoding: 'utf8' });
  const table = run(netPath, '--radius', '10', '--quiet');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /layer 2 \(4 neurons\): switches 2; dead: 3; always-on: 2; weights never active together: 1←0/);
  assert.match(table.stdout, /3 obstacles to identification/);
  const json = run(netPath, '--radius', '10', '--json');
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).neverJointly, [{ layer: 2, neuron: 1, from: 0 }]);
  const badRadius = run(netPath, '--radius', '-1');
  assert.equal(badRadius.status, 2);
  assert.match(badRadius.stderr, /--radius must be positive/);
  const missing = run(join(dir, 'nope.json'));
  assert.notEqual(missing.status, 0);
  assert.equal(missing.stderr.trim().split('\n').filter((l) => !l.includes('npm warn')).length, 1, missing.stderr);
});
