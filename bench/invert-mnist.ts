// Seed 004 slide 12 on real data: a 2-hidden-layer MLP trained on MNIST digits; for held-out digits,
// the pre-image of the first hidden layer's output (784 → width) is classified as singleton, finite
// (bounded) or infinite (unbounded) and set against the number of positive outputs (> 784 gives a
// singleton generically: the active rows alone fix x).
//
//   npx tsx bench/invert-mnist.ts [--widths 3500,784] [--train 9000] [--epochs 1] [--samples 100]
//                                 [--seed 1] [--out bench/results/invert-mnist.svg] [--net trained.json] [--save trained.json]
//
// --net skips training and uses that network; --save writes the trained one. Progress on stderr;
// the summary (markdown) on stdout.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { layerPreimage } from '../src/invert/layer.js';
import type { PreimageKind } from '../src/invert/polyhedron.js';
import { mnistDigits, MNIST_PIXELS } from '../src/network/datasets.js';
import { readNetworkJson, writeNetworkJson } from '../src/network/format.js';
import { forward, layerForward } from '../src/network/forward.js';
import { makeRng } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import { archString, type Network } from '../src/network/types.js';
import { renderChart } from '../src/report/chart.js';

const { values: args } = parseArgs({
  options: {
    widths: { type: 'string', default: '3500,784' },
    train: { type: 'string', default: '9000' },
    epochs: { type: 'string', default: '1' },
    samples: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results/invert-mnist.svg' },
    net: { type: 'string' },
    save: { type: 'string' },
  },
});
const widths = args.widths.split(',').map(Number);
const nTrain = Number(args.train);
const epochs = Number(args.epochs);
const nSamples = Number(args.samples);
const seed = Number(args.seed);
if (nTrain + nSamples > 10000) throw new Error('--train + --samples must be ≤ 10,000 (the digits the mnist package has)');

const log = (s: string) => process.stderr.write(`${s}\n`);

/** PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in) (a typical trained MNIST MLP's start). */
function torchLikeNetwork(dims: number[], rngSeed: number): Network {
  const rng = makeRng(rngSeed);
  const layers = dims.slice(1).map((outDim, k) => {
    const inDim = dims[k];
    const a = 1 / Math.sqrt(inDim);
    const W = Float64Array.from({ length: inDim * outDim }, () => a * (2 * rng.uniform() - 1));
    const b = Float64Array.from({ length: outDim }, () => a * (2 * rng.uniform() - 1));
    return { inDim, outDim, W, b };
  });
  return { layers, activation: 'relu' };
}

function accuracy(net: Network, xs: Float64Array, labels: Int32Array, n: number): number {
  const out = forward(net, xs, n);
  const c = net.layers[net.layers.length - 1].outDim;
  let correct = 0;
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (out[s * c + j] > out[s * c + best]) best = j;
    if (best === labels[s]) correct++;
  }
  return correct / n;
}

const data = mnistDigits(nTrain + nSamples);
const trainXs = data.xs.subarray(0, nTrain * MNIST_PIXELS);
const trainLabels = data.labels.subarray(0, nTrain);
const testXs = data.xs.subarray(nTrain * MNIST_PIXELS);
const testLabels = data.labels.subarray(nTrain);

let net: Network;
let trainSeconds = 0;
if (args.net && existsSync(args.net)) {
  net = readNetworkJson(args.net);
  log(`loaded ${args.net} (${archString(net)})`);
} else {
  net = torchLikeNetwork([MNIST_PIXELS, ...widths, 10], seed);
  log(`training ${archString(net)} on ${nTrain} digits, ${epochs} epoch(s)…`);
  const t0 = performance.now();
  trainClassifier(net, trainXs, trainLabels, nTrain, {
    epochs, seed, batchSize: 32, lr: 1e-3,
    onEpoch: (e, loss, acc) => log(`  epoch ${e}: loss ${loss.toFixed(4)}, training accuracy ${(100 * acc).toFixed(1)}%`),
  });
  trainSeconds = (performance.now() - t0) / 1000;
  if (args.save) writeNetworkJson(args.save, net, { meta: { made: 'bench/invert-mnist.ts', seed, nTrain, epochs } });
}
const testAccuracy = accuracy(net, testXs, testLabels, nSamples);
log(`accuracy on the ${nSamples} held-out digits: ${(100 * testAccuracy).toFixed(1)}%`);

const layer1 = net.layers[0];
const n = layer1.inDim;
interface Row {
  positives: number;
  kind: PreimageKind;
  seconds: number;
}
const rows: Row[] = [];
const t1 = performance.now();
for (let s = 0; s < nSamples; s++) {
  const x = testXs.subarray(s * n, (s + 1) * n);
  const y = layerForward(layer1, x, 1, true);
  const positives = y.reduce((c, v) => c + (v > 0 ? 1 : 0), 0);
  const t = performance.now();
  const res = await layerPreimage(layer1, y, { knownPoint: x });
  rows.push({ positives, kind: res.kind, seconds: (performance.now() - t) / 1000 });
  log(`  digit ${s + 1}/${nSamples}: ${positives} positive outputs → ${res.kind} (${rows[s].seconds.toFixed(1)} s)`);
}
const analysisSeconds = (performance.now() - t1) / 1000;

const LABEL: Record<PreimageKind, string> = { singleton: 'singleton', bounded: 'finite', unbounded: 'infinite', empty: 'empty' };
const kinds: PreimageKind[] = ['singleton', 'bounded', 'unbounded', 'empty'];
const count = (pred: (r: Row) => boolean) => rows.filter(pred).length;
const range = (k: PreimageKind) => {
  const p = rows.filter((r) => r.kind === k).map((r) => r.positives);
  return p.length ? `${Math.min(...p)}–${Math.max(...p)}` : '–';
};
const lines = [
  `network ${archString(net)}, trained on ${nTrain} MNIST digits${trainSeconds ? ` (${epochs} epoch(s), ${trainSeconds.toFixed(0)} s)` : ''}; accuracy on the ${nSamples} held-out digits analysed: ${(100 * testAccuracy).toFixed(1)}%`,
  `pre-image of layer 1's output (784 → ${layer1.outDim}) for each of them: ${analysisSeconds.toFixed(0)} s in all`,
  '',
  '| class | digits | positive outputs (min–max) |',
  '| --- | ---: | --- |',
  ...kinds.filter((k) => k !== 'empty' || count((r) => r.kind === k) > 0).map((k) => `| ${LABEL[k]} | ${count((r) => r.kind === k)} | ${range(k)} |`),
  '',
  `digits with > ${n} positive outputs: ${count((r) => r.positives > n)}, of which singleton: ${count((r) => r.positives > n && r.kind === 'singleton')}; ` +
    `with ≤ ${n}: ${count((r) => r.positives <= n)}, of which singleton: ${count((r) => r.positives <= n && r.kind === 'singleton')}`,
];
process.stdout.write(lines.join('\n') + '\n');

// Slide 12's chart: histogram of positive outputs, stacked by class, the input dimension marked.
const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: `Pre-image of layer 1 (${archString(net)}, MNIST): ${nSamples} held-out digits`,
  width: 560,
  height: 300,
  layer: [
    {
      data: { values: rows.map((r) => ({ positives: r.positives, class: LABEL[r.kind] })) },
      mark: 'bar',
      encoding: {
        x: { field: 'positives', type: 'quantitative', bin: { step: 25 }, title: '# positive outputs' },
        y: { aggregate: 'count', type: 'quantitative', title: '# digits' },
        color: { field: 'class', type: 'nominal', sort: ['singleton', 'finite', 'infinite'], scale: { domain: ['singleton', 'finite', 'infinite'], range: ['#4c78a8', '#54a24b', '#e45756'] }, title: 'pre-image' },
      },
    },
    {
      data: { values: [{ positives: n }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: 'black' },
      encoding: { x: { field: 'positives', type: 'quantitative' } },
    },
  ],
};
await renderChart(spec, args.out);
log(`wrote ${args.out}`);
