// `relurev compare RECOVERED TRUTH`: per-layer error after alignment, and the functional error.
import type { Command } from 'commander';
import { compareNetworks, comparisonVerdict, formatComparison } from '../network/compare.js';
import { loadNetwork } from '../network/load.js';
import { inputDim, outputDim } from '../network/types.js';
import { action, intOption, numberOption, UsageError } from './run.js';

interface CompareOptions {
  json?: boolean;
  samples: string;
  seed: string;
  tol: string;
}

/** JSON has no Infinity or NaN: write them as strings rather than as null. */
function nonFiniteAsString(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'compare a recovered network with the truth, up to neuron permutation and positive scaling; exit 0 when the ' +
        'architectures match and every weight and the function agree within --tol, 1 otherwise',
    )
    .argument('<recovered>', 'the recovered network (model file)')
    .argument('<truth>', 'the true network (model file)')
    .option('--json', 'print one JSON object instead of the table')
    .option('--samples <n>', 'random inputs per input distribution for the functional error', '2000')
    .option('--seed <n>', 'seed of the random inputs', '1')
    .option('--tol <x>', 'tolerance on the worst relative weight error and on the functional error', '1e-6')
    // Options are parsed inside the action so that a bad value is a one-line error like any other.
    .action(
      action(async (recoveredPath: string, truthPath: string, opts: CompareOptions) => {
        const samples = intOption('--samples', 1)(opts.samples);
        const seed = intOption('--seed', 0)(opts.seed);
        const tol = numberOption('--tol')(opts.tol);
        const recovered = await loadNetwork(recoveredPath);
        const truth = await loadNetwork(truthPath);
        if (inputDim(recovered) !== inputDim(truth) || outputDim(recovered) !== outputDim(truth)) {
          throw new UsageError(
            `cannot compare: ${recoveredPath} maps ${inputDim(recovered)} inputs to ${outputDim(recovered)} outputs, ` +
              `${truthPath} maps ${inputDim(truth)} to ${outputDim(truth)}`,
          );
        }
        const result = compareNetworks(recovered, truth, { samples, seed });
        const verdict = comparisonVerdict(result, tol);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ ...result, tol, pass: verdict.pass, verdict: verdict.reason }, nonFiniteAsString) + '\n');
        } else {
          process.stdout.write(formatComparison(result) + `${verdict.pass ? 'PASS' : 'FAIL'}: ${verdict.reason}\n`);
        }
        if (!verdict.pass) process.exitCode = 1;
      }),
    );
}
