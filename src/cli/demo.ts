// `relurev demo`: extract the example network shipped with the package (examples/demo-net.json) as a black box,
// then compare the result with it. Exit 0 only if it was recovered within 1e-6.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { extractNetwork } from '../extract/driver.js';
import { compareNetworks, comparisonVerdict, formatComparison } from '../network/compare.js';
import { readNetworkJson } from '../network/format.js';
import { archString, hiddenWidths, inputDim, outputDim, parameterCount } from '../network/types.js';
import { CountingOracle } from '../oracle/counting.js';
import { LocalOracle } from '../oracle/local.js';
import { comparisonJson, formatResult, incompleteReason, nonFiniteAsString } from './extract.js';
import { stderrProgress } from './progress.js';
import { action, intOption, UsageError } from './run.js';

const TOL = 1e-6;

/**
 * The shipped example, found relative to this module: from the bundle (dist/cli.js → ../examples) and from the
 * sources run by tsx (src/cli/demo.ts → ../../examples).
 */
export function examplePath(name: string): string {
  const candidates = [new URL(`../examples/${name}`, import.meta.url), new URL(`../../examples/${name}`, import.meta.url)].map((u) =>
    fileURLToPath(u),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new UsageError(`the example network ${name} is missing from this installation (looked in ${candidates.join(', ')})`);
  return found;
}

interface DemoFlags {
  seed: string;
  json?: boolean;
  quiet?: boolean;
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const seed = intOption('--seed', 0)(flags.seed);
  const path = examplePath('demo-net.json');
  const shown = relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
  const truth = readNetworkJson(path);
  const say = (s: string) => {
    if (!flags.json) process.stdout.write(s);
  };
  say(
    `relurev demo: recovering the network in ${shown} from queries alone.\n` +
      `  The file is used only to answer queries (a batch of inputs in, outputs out), like any black box; the\n` +
      `  extractor is not told its depth or widths. Afterwards the result is compared with the file.\n` +
      `  black box: ${inputDim(truth)} inputs, ${outputDim(truth)} outputs, float64; query seed ${seed}\n\n`,
  );
  const oracle = new CountingOracle(new LocalOracle(truth), Infinity, shown);
  const progress = stderrProgress(flags.quiet ?? false);
  let result;
  try {
    result = await extractNetwork(oracle, { seed, onProgress: progress.sink, precision: 'float64' });
  } finally {
    progress.stop();
  }
  const comparison = result.network && result.network.layers.length === result.widths.length + 1 ? compareNetworks(result.network, truth) : undefined;
  const verdict = comparison ? comparisonVerdict(comparison, TOL) : undefined;
  const pass = result.complete && verdict !== undefined && verdict.pass;

  if (flags.json) {
    const params = result.network ? parameterCount(result.network) : 0;
    process.stdout.write(
      JSON.stringify(
        {
          pass,
          complete: result.complete,
          partial: !result.complete,
          ...(result.error !== undefined ? { error: result.error } : {}),
          truth: archString(truth),
          trueWidths: hiddenWidths(truth),
          widths: result.widths,
          queries: result.queries,
          parameters: params,
          queriesPerParameter: params > 0 ? result.queries / params : null,
          seconds: result.seconds,
          unresolved: result.unresolved,
          notes: result.notes,
          comparison: comparison ? comparisonJson(comparison, TOL) : null,
        },
        nonFiniteAsString,
      ) + '\n',
    );
  } else {
    say(formatResult(result, { source: `${shown} (${archString(truth)}, the truth)`, precision: 'float64' }));
    say(`true hidden widths [${hiddenWidths(truth).join(', ')}], found [${result.widths.join(', ')}]\n`);
    if (comparison && verdict) {
      say(`\ncomparison with the truth (after permutation and positive scaling of the hidden neurons):\n${formatComparison(comparison)}`);
      say(`${verdict.pass ? 'PASS' : 'FAIL'}: ${verdict.reason}\n`);
    }
  }
  if (!pass) {
    const why = !result.complete ? incompleteReason(result) : verdict ? verdict.reason : 'no output layer recovered';
    process.stderr.write(`relurev: error: demo failed: ${why}\n`);
    process.exitCode = 1;
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'extract the example network shipped with relurev (examples/demo-net.json: trained, two hidden layers) from ' +
        'queries alone and compare the result with it; exit 0 if recovered within 1e-6',
    )
    .option('--seed <n>', 'seed of the random queries', '0')
    .option('--json', 'print one JSON object (the last line of stdout) instead of the text')
    .option('--quiet', 'no progress on stderr')
    .action(action((flags: DemoFlags) => runDemo(flags)));
}
