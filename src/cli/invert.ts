// `relurev invert NET --target y.json [--layer k]`: which inputs give this output (seed 004)?
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { invertNetwork, type NetworkPreimage } from '../invert/network.js';
import { loadNetwork } from '../network/load.js';
import { archString, type Network } from '../network/types.js';
import { action, intOption, numberOption, UsageError } from './run.js';

interface InvertCliOptions {
  target: string;
  layer?: string;
  box: string;
  timeLimit: string;
  json?: boolean;
}

const TARGET_HELP = `
Target file (--target): JSON, either an array of numbers or an object with a "target" array:
  [0.5, 0, 1.25]        or        {"target": [0.5, 0, 1.25]}
It has one value per output of layer k (--layer, default: the last layer, i.e. the network output).
After a hidden layer the values are ReLU outputs: 0 marks an inactive neuron, a negative value has
no pre-image.

Classes: singleton (exactly one input), bounded / unbounded (a polyhedron of inputs: the seed's
finite / infinite pre-image), multiple (more than one input; their overall shape not determined),
empty (no input), undecided (a MIP time limit was hit). Layers are inverted from the top while each
has a single pre-image; the remaining layers are searched by a MIP over activation patterns within
--box, and then the answer holds within that box.`;

const targetSchema = z.union([z.array(z.number()), z.object({ target: z.array(z.number()) })]);

/** Read and validate a target file; every problem is a one-line UsageError. */
export function readTarget(path: string): Float64Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read target file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = targetSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`${path}: expected an array of numbers or {"target": [numbers]}`);
  const values = Array.isArray(parsed.data) ? parsed.data : parsed.data.target;
  if (values.length === 0) throw new UsageError(`${path}: the target is empty`);
  return Float64Array.from(values);
}

function parseBox(spec: string, n: number): { lower: Float64Array; upper: Float64Array } {
  const parts = spec.split(',');
  const [lo, hi] = parts.map((s) => numberOption('--box')(s.trim()));
  if (parts.length !== 2 || !(lo < hi)) throw new UsageError(`--box must be LO,HI with LO < HI, got "${spec}"`);
  return { lower: new Float64Array(n).fill(lo), upper: new Float64Array(n).fill(hi) };
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function vector(v: Float64Array, max = 12): string {
  const shown = Array.from(v.subarray(0, max), fmt).join(', ');
  return v.length > max ? `[${shown}, …] (${v.length} values; all with --json)` : `[${shown}]`;
}

function describe(res: NetworkPreimage, n: number, boxSpec: string): string {
  const where = res.scope === 'box' ? ` within the search box [${boxSpec}]^${n}` : '';
  switch (res.kind) {
    case 'empty':
      return `empty: no pre-image${where}`;
    case 'singleton':
      return `singleton: exactly one input${where}`;
    case 'bounded':
      return 'bounded (finite): a bounded polyhedron of inputs';
    case 'unbounded':
      return 'unbounded (infinite): an unbounded set of inputs';
    case 'multiple':
      return 'multiple: more than one input';
    case 'undecided':
      return 'undecided';
  }
}

function report(res: NetworkPreimage, net: Network, path: string, boxSpec: string, seconds: number): string {
  const n = net.layers[0].inDim;
  const lines = [
    `pre-image of the output after layer ${res.layer} of ${path} (${archString(net)})`,
    `  class:     ${describe(res, n, boxSpec)}`,
    `  unique:    ${res.unique === undefined ? 'not decided' : res.unique ? 'yes' : 'no'}`,
    `  why:       ${res.reason}`,
    `  steps:     ${res.steps.map((s) => `layer ${s.layer} ${s.kind} (${s.active} equations, null space ${Math.max(0, s.nullity)})`).join(' → ')}` +
      (res.method === 'mip' ? ' → MIP over the layers below' : ''),
  ];
  if (res.point) lines.push(`  point x*:  ${vector(res.point)}`, `  residual:  max|N(x*) − y| = ${res.residual!.toExponential(2)}`);
  if (res.witness) lines.push(`  another:   ${vector(res.witness)}`);
  lines.push(`  time:      ${seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}

export function registerInvert(program: Command): void {
  program
    .command('invert')
    .description('find the inputs that produce a given output (or activations after layer k): pre-image class, a point, uniqueness (seed 004)')
    .argument('<net>', 'the network (model file)')
    .requiredOption('--target <file>', 'the output to invert (JSON; format below)')
    .option('--layer <k>', 'the target is the output after layer k (1-based; default: the last layer)')
    .option('--box <lo,hi>', 'search box for every input coordinate, used where layers must be searched by MIP', '-10,10')
    .option('--time-limit <s>', 'seconds per MIP solve', '60')
    .option('--json', 'print one JSON object (all values) instead of the summary')
    .addHelpText('after', TARGET_HELP)
    .action(
      action(async (netPath: string, opts: InvertCliOptions) => {
        const net = await loadNetwork(netPath);
        const L = net.layers.length;
        const layer = opts.layer === undefined ? L : intOption('--layer', 1)(opts.layer);
        if (layer > L) throw new UsageError(`--layer ${layer}: ${netPath} has ${L} layers`);
        const timeLimit = numberOption('--time-limit')(opts.timeLimit);
        if (timeLimit <= 0) throw new UsageError(`--time-limit must be positive, got ${opts.timeLimit}`);
        const n = net.layers[0].inDim;
        const box = parseBox(opts.box, n);
        const target = readTarget(opts.target);
        const width = net.layers[layer - 1].outDim;
        if (target.length !== width) {
          throw new UsageError(`${opts.target}: has ${target.length} values, but layer ${layer} of ${netPath} has ${width} outputs`);
        }
        const t0 = performance.now();
        const res = await invertNetwork(net, target, { layer, box, timeLimit });
        const seconds = (performance.now() - t0) / 1000;
        if (opts.json) {
          const out = {
            ...res,
            point: res.point ? Array.from(res.point) : undefined,
            witness: res.witness ? Array.from(res.witness) : undefined,
            box: [box.lower[0], box.upper[0]],
            seconds,
          };
          process.stdout.write(JSON.stringify(out) + '\n');
        } else {
          process.stdout.write(report(res, net, netPath, opts.box, seconds));
        }
      }),
    );
}
