// `relurev identifiability NET --radius R`: which of a network's parameters no query within a box can reveal (seed 001
// §5), certified from the network itself by mixed-integer programs (invert/identifiability.ts).
import type { Command } from 'commander';
import { identifiability, obstacleCount, type Identifiability } from '../invert/identifiability.js';
import { loadNetwork } from '../network/load.js';
import { archString } from '../network/types.js';
import { stderrProgress } from './progress.js';
import { action, intOption, numberOption, UsageError } from './run.js';

interface IdentifiabilityCliOptions {
  radius: string;
  timeLimit: string;
  json?: boolean;
  quiet?: boolean;
}

const HELP = `
For every hidden neuron it decides, over inputs in [-R, R]^n, whether the neuron is
  dead       never on: it has no boundary and no effect, so no query can tell it is there
             (the layer's width is not identifiable);
  always-on  never off: no boundary; its bias merges into the next layer's biases;
  switches   both states occur (its boundary exists);
and, for every weight W_zi between consecutive hidden layers, whether neuron i is ever active
where z is on. If never, W_zi only has to keep z off there: an inequality, not a value, and B_z
never bends at B_i. Every "never" is a MIP without solution; every "does" is a solution checked
by a forward pass. The rest are identifiable in principle (seed 001, Theorem 1).

R should cover where queries may go: relurev extract searches out to ~256 × --input-scale.
Exit status 0 when the table is printed, whatever it finds.`;

function summary(r: Identifiability, depth: number, widths: number[]): string {
  const lines: string[] = [];
  for (let k = 1; k <= depth; k++) {
    const here = r.neurons.filter((c) => c.layer === k);
    const by = (s: string) => here.filter((c) => c.state === s).map((c) => c.neuron);
    const list = (v: number[]) => (v.length ? v.join(', ') : '–');
    const pairs = r.neverJointly.filter((p) => p.layer === k).map((p) => `${p.neuron}←${p.from}`);
    lines.push(
      `layer ${k} (${widths[k - 1]} neurons): switches ${by('switches').length}; dead: ${list(by('dead'))}; always-on: ${list(by('always-on'))}` +
        (by('undecided').length ? `; undecided: ${list(by('undecided'))}` : '') +
        (k > 1 ? `; weights never active together: ${pairs.length ? pairs.join(', ') : '–'}` : ''),
    );
  }
  const obstacles = obstacleCount(r);
  lines.push(
    obstacles === 0 && r.undecided === 0
      ? 'every neuron switches and every weight between hidden layers is seen: identifiable in principle'
      : `${obstacles} obstacle${obstacles === 1 ? '' : 's'} to identification${r.undecided ? `, ${r.undecided} question(s) undecided (time limit)` : ''}`,
  );
  return lines.join('\n') + '\n';
}

export function registerIdentifiability(program: Command): void {
  program
    .command('identifiability')
    .description('which neurons and weights of a network no query can reveal: dead and always-on neurons, weights never active (MIP certificates)')
    .argument('<net>', 'the network (model file)')
    .option('--radius <r>', 'inputs in [-r, r]^n', '1000')
    .option('--time-limit <s>', 'seconds per MIP', '20')
    .option('--json', 'print one JSON object instead of the table')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', HELP)
    .action(
      action(async (netPath: string, opts: IdentifiabilityCliOptions) => {
        const radius = numberOption('--radius')(opts.radius);
        if (!(radius > 0)) throw new UsageError(`--radius must be positive, got ${opts.radius}`);
        const timeLimit = intOption('--time-limit', 1)(opts.timeLimit);
        const net = await loadNetwork(netPath);
        const progress = stderrProgress(opts.quiet || opts.json);
        const r = await identifiability(net, {
          radius,
          timeLimit,
          onProgress: (done, total) => progress.sink({ phase: 'certificates', done, total, queries: 0, message: `${10 * Math.floor((10 * done) / total)}% of ${total} MIPs` }),
        }).finally(progress.stop);
        const depth = net.layers.length - 1;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ network: archString(net), ...r }) + '\n');
        } else {
          const widths = net.layers.slice(0, depth).map((l) => l.outDim);
          process.stdout.write(`identifiability of ${netPath} (${archString(net)}) over [-${radius}, ${radius}]^${net.layers[0].inDim}\n` + summary(r, depth, widths));
        }
      }),
    );
}
