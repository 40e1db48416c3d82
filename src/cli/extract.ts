// `relurev extract`: recover a ReLU network (architecture, weights, biases) from a black box; write it, summarise it,
// and (with --truth) compare it with the original. Parsing and output only: the algorithm is src/extract/driver.ts.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { extractNetwork, type ExtractResult } from '../extract/driver.js';
import { compareNetworks, comparisonVerdict, formatComparison, type Comparison } from '../network/compare.js';
import { writeNetworkJson } from '../network/format.js';
import { isOnnxPath, loadNetwork, saveNetwork } from '../network/load.js';
import { archString, inputDim, outputDim, parameterCount, type Network } from '../network/types.js';
import { openOracle } from '../oracle/open.js';
import { OracleError } from '../oracle/types.js';
import { NotPiecewiseLinearError, probeBlackBox } from '../oracle/probe.js';
import { writeReport } from '../report/html-report.js';
import { addOracleOptions, oracleSpecFrom } from './oracle-options.js';
import { stderrProgress } from './progress.js';
import { action, intOption, numberOption, UsageError } from './run.js';

const VERSION = '0.1.0';
/** Unresolved items listed in the text summary (all are in --json and the file's meta). */
const MAX_LISTED = 12;

interface ExtractFlags extends Record<string, unknown> {
  out: string;
  json?: boolean;
  seed: string;
  inputScale?: string;
  truth?: string;
  tol: string;
  quiet?: boolean;
  report?: string;
}

/** JSON has no Infinity or NaN: write them as strings rather than as null. */
export function nonFiniteAsString(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** Fail before any query if the output file (of option `flag`) cannot be written. */
export function checkWritable(path: string, flag = '--out'): void {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${flag} ${path} is a directory`);
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The provenance stored in the written file's "meta". */
export function resultMeta(r: ExtractResult, extra: { seed: number; source: string; precision: string }): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    tool: `relurev ${VERSION} extract`,
    date: new Date().toISOString(),
    source: extra.source,
    seed: extra.seed,
    precision: extra.precision,
    complete: r.complete,
    queries: r.queries,
    seconds: round(r.seconds, 3),
    widths: r.widths,
    unresolved: r.unresolved,
    notes: r.notes,
    phases: r.phases,
  };
  if (r.verificationError !== undefined) meta.verificationError = r.verificationError;
  if (r.error !== undefined) meta.error = r.error;
  if (r.network && !hasOutputLayer(r)) {
    meta.contents = `hidden layers 1..${r.network.layers.length} only: the output layer was not recovered`;
  }
  return meta;
}

/** The written network ends with the output layer (a partial result may hold only hidden layers). */
function hasOutputLayer(r: ExtractResult): boolean {
  return r.network !== null && r.network.layers.length === r.widths.length + 1;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Write the result to `out`: the recovered network, or (nothing recovered) a relurev-mlp JSON file with no layers,
 * marked partial. Returns whether a file was written (an ONNX file needs at least one layer).
 */
export function writeResult(out: string, r: ExtractResult, meta: Record<string, unknown>): boolean {
  const partial = !r.complete;
  try {
    if (r.network) {
      saveNetwork(out, r.network, { meta, partial });
      return true;
    }
    if (isOnnxPath(out)) return false;
    writeNetworkJson(out, { layers: [], activation: 'relu' }, { meta, partial: true });
    return true;
  } catch (e) {
    throw new UsageError(`cannot write --out ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Why an extraction is not complete, in one line. */
export function incompleteReason(r: ExtractResult): string {
  if (r.error) return r.error;
  if (r.unresolved.length > 0) {
    const u = r.unresolved[0];
    const more = r.unresolved.length > 1 ? ` (and ${r.unresolved.length - 1} more unresolved)` : '';
    return `layer ${u.layer}${u.neuron !== undefined ? `, neuron ${u.neuron}` : ''}: ${u.reason}${more}`;
  }
  return 'the recovered network is incomplete';
}

function fmtExp(v: number | undefined): string {
  return v === undefined ? 'n/a' : Number.isFinite(v) ? v.toExponential(2) : String(v);
}

/** The human summary of an extraction (stdout). */
export function formatResult(r: ExtractResult, ctx: { source: string; precision: string; out?: string; written?: boolean }): string {
  const lines: string[] = [];
  const params = r.network ? parameterCount(r.network) : 0;
  const arch = r.network && hasOutputLayer(r) ? archString(r.network) : null;
  lines.push(`black box: ${ctx.source} (${ctx.precision})`);
  lines.push(
    `recovered: ${arch ?? (r.network ? `hidden layers only, widths ${r.widths.join('-')}` : 'nothing')}` +
      `  (hidden widths [${r.widths.join(', ')}], depth ${r.widths.length}, ${params} parameters)`,
  );
  const perParam = params > 0 ? ` = ${(r.queries / params).toFixed(1)} per parameter` : '';
  lines.push(`queries: ${r.queries}${perParam}, ${r.seconds.toFixed(2)} s`);
  const phases = Object.entries(r.phases).filter(([, q]) => q > 0);
  if (phases.length) lines.push(`queries by phase: ${phases.map(([p, q]) => `${p} ${q}`).join(', ')}`);
  if (r.verificationError !== undefined) {
    lines.push(`verification: max |N̂(x) − N(x)| / max |N(x)| = ${fmtExp(r.verificationError)} on fresh queries to the black box`);
  }
  if (r.unresolved.length === 0) lines.push('unresolved: none');
  else {
    lines.push(`unresolved (${r.unresolved.length}):`);
    const shown = r.unresolved.length > MAX_LISTED + 2 ? r.unresolved.slice(0, MAX_LISTED) : r.unresolved;
    for (const u of shown) lines.push(`  layer ${u.layer}${u.neuron !== undefined ? `, neuron ${u.neuron}` : ''}: ${u.reason}`);
    if (shown.length < r.unresolved.length) lines.push(`  ... and ${r.unresolved.length - shown.length} more (all of them in --json and in the written file's meta)`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.error) lines.push(`stopped: ${r.error}`);
  lines.push(`status: ${r.complete ? 'complete' : 'PARTIAL'}`);
  if (ctx.out !== undefined) {
    lines.push(ctx.written ? `wrote ${ctx.out}${r.complete ? '' : ' (marked "partial": true)'}` : `nothing written to ${ctx.out} (nothing recovered; an ONNX file needs a layer)`);
  }
  return lines.join('\n') + '\n';
}

/** The comparison as it appears in --json: the overall numbers and one entry per layer. */
export function comparisonJson(c: Comparison, tol: number): Record<string, unknown> {
  const v = comparisonVerdict(c, tol);
  return {
    worstRelErr: c.worstRelErr,
    functionalError: c.functionalError,
    architectureMatches: c.architectureMatches,
    recoveredArch: c.recoveredArch,
    trueArch: c.trueArch,
    layers: c.layers,
    tol,
    pass: v.pass,
    verdict: v.reason,
  };
}

async function runExtract(flags: ExtractFlags): Promise<void> {
  const spec = oracleSpecFrom(flags);
  const seed = intOption('--seed', 0)(flags.seed);
  const tol = numberOption('--tol')(flags.tol);
  if (!(tol > 0)) throw new UsageError(`--tol must be positive, got ${flags.tol}`);
  let inputScale: number | undefined;
  if (flags.inputScale !== undefined) {
    inputScale = numberOption('--input-scale')(flags.inputScale);
    if (!(inputScale > 0)) throw new UsageError(`--input-scale must be positive, got ${flags.inputScale}`);
  }
  checkWritable(flags.out);
  if (flags.report !== undefined) {
    if (!/\.html?$/i.test(flags.report)) throw new UsageError(`--report ${flags.report}: use a .html file name`);
    checkWritable(flags.report, '--report');
  }
  const truth: Network | undefined = flags.truth !== undefined ? await loadNetwork(flags.truth) : undefined;

  const opened = await openOracle(spec);
  const { oracle, label } = opened;
  const progress = stderrProgress(flags.quiet ?? false);
  let result: ExtractResult;
  let precision = opened.precision;
  try {
    if (truth && (inputDim(truth) !== oracle.inputDim || outputDim(truth) !== oracle.outputDim)) {
      throw new UsageError(
        `--truth ${flags.truth} maps ${inputDim(truth)} inputs to ${outputDim(truth)} outputs; ` +
          `the black box maps ${oracle.inputDim} to ${oracle.outputDim}`,
      );
    }
    const started = performance.now();
    let probeError: OracleError | undefined;
    if (precision === undefined || !opened.reluKnown) {
      // The source does not say how precise it is, or that it is a ReLU network: measure (counted queries).
      oracle.phase = 'probe';
      if (!flags.quiet) process.stderr.write(`relurev: probing ${label}: precision and piecewise linearity\n`);
      try {
        const probe = await probeBlackBox(oracle, seed);
        if (!probe.piecewiseLinear) throw new NotPiecewiseLinearError(probe.reason ?? 'unknown reason');
        precision ??= probe.precision;
      } catch (e) {
        if (!(e instanceof OracleError)) throw e;
        probeError = e;
      }
      oracle.phase = 'other';
    }
    result = probeError
      ? {
          network: null,
          complete: false,
          partial: true,
          widths: [],
          queries: oracle.queries,
          seconds: (performance.now() - started) / 1000,
          unresolved: [],
          notes: [],
          phases: Object.fromEntries(oracle.byPhase),
          error: probeError.message,
        }
      : await extractNetwork(oracle, { seed, onProgress: progress.sink, precision, inputScale });
  } finally {
    progress.stop();
    await oracle.close();
  }

  const meta = resultMeta(result, { seed, source: label, precision: precision ?? 'float64' });
  const written = writeResult(flags.out, result, meta);
  const params = result.network ? parameterCount(result.network) : 0;

  let comparison: Comparison | undefined;
  let comparisonNote: string | undefined;
  if (truth) {
    if (result.network && hasOutputLayer(result)) comparison = compareNetworks(result.network, truth);
    else comparisonNote = 'no comparison: the output layer was not recovered';
  }
  const verdict = comparison ? comparisonVerdict(comparison, tol) : undefined;
  if (flags.report !== undefined) {
    await writeReport(flags.report, { result, truth, source: label, precision: precision ?? 'float64' });
    if (!flags.quiet) process.stderr.write(`relurev: wrote the report ${flags.report}\n`);
  }

  if (flags.json) {
    const summary: Record<string, unknown> = {
      complete: result.complete,
      partial: !result.complete,
      ...(result.error !== undefined ? { error: result.error } : {}),
      queries: result.queries,
      parameters: params,
      queriesPerParameter: params > 0 ? result.queries / params : null,
      seconds: result.seconds,
      widths: result.widths,
      architecture: result.network && hasOutputLayer(result) ? archString(result.network) : null,
      unresolved: result.unresolved,
      notes: result.notes,
      phases: result.phases,
      verificationError: result.verificationError ?? null,
      precision: precision ?? 'float64',
      seed,
      source: label,
      out: flags.out,
      written,
      ...(flags.report !== undefined ? { report: flags.report } : {}),
    };
    if (truth) summary.comparison = comparison ? comparisonJson(comparison, tol) : { error: comparisonNote };
    process.stdout.write(JSON.stringify(summary, nonFiniteAsString) + '\n');
  } else {
    let text = formatResult(result, { source: label, precision: precision ?? 'float64', out: flags.out, written });
    if (comparison && verdict) {
      text += `\ncomparison with ${flags.truth} (after permutation and positive scaling):\n${formatComparison(comparison)}`;
      text += `${verdict.pass ? 'PASS' : 'FAIL'}: ${verdict.reason}\n`;
    } else if (comparisonNote) text += `${comparisonNote}\n`;
    process.stdout.write(text);
  }

  if (!result.complete) {
    const where = written ? `partial result written to ${flags.out}` : 'nothing written';
    process.stderr.write(`relurev: error: extraction incomplete: ${incompleteReason(result)}; ${where}\n`);
    process.exitCode = 1;
  } else if (verdict && !verdict.pass) {
    process.stderr.write(`relurev: error: recovered network differs from --truth: ${verdict.reason}\n`);
    process.exitCode = 1;
  }
}

const HELP = `
The black box (exactly one of):
  --model FILE    a relurev-mlp JSON file or an .onnx model, evaluated locally
  --url URL       an HTTP endpoint: POST {"inputs": [[...], ...]} -> {"outputs": [[...], ...]}
                  (needs --input-dim; see --batch-size, --concurrency, --timeout, --retries,
                  --rate-limit, --header)
  --cmd COMMAND   a program reading one JSON line {"inputs": [[...]]} per request on stdin and
                  answering one line {"outputs": [[...]]} on stdout (needs --input-dim)
Only input/output pairs are used: the architecture (depth and widths) is discovered, never given.
--precision: float64 or float32 black box; "auto" takes it from an ONNX model's types and assumes float64
for a JSON model. A black box not known to be a ReLU MLP (--url, --cmd, an ONNX graph of other operators) is
first probed (816 counted queries): its precision is measured, and one that is not piecewise linear is refused.
--query-log FILE keeps every answer; rerunning with the same log resumes without asking again.

Output:
  --out FILE      the recovered network: relurev-mlp JSON, or ONNX if FILE ends in .onnx. Its "meta"
                  holds queries, seconds, widths, unresolved, notes, seed and source. A partial result
                  (budget exhausted, black-box error, or neurons left unresolved) is still written,
                  with "partial": true; it may hold only the hidden layers recovered so far, or none.
  stdout          a summary; with --json, the last line is one JSON object: complete, partial, error,
                  queries, parameters, queriesPerParameter, seconds, widths, architecture, unresolved,
                  notes, phases, verificationError, out (and comparison with --truth).
  --report FILE   an HTML page: summary (architecture, queries, time, precision), per-layer table,
                  query spend per phase; with --truth the per-layer error after alignment and, for 2-D
                  inputs, the true boundaries with the recovered ones drawn over them.
  stderr          progress (a bar on a terminal, one line per step otherwise; none with --quiet) and
                  errors, one line each.
"Recovered" means equal to the black box up to a permutation of each hidden layer's neurons and a
positive scaling of each neuron (moved into the next layer); --truth checks exactly that.

Exit codes:
  0  complete (and, with --truth, within --tol of the truth)
  1  incomplete: budget exhausted, the black box failed or is not a ReLU network, neurons unresolved,
     or (with --truth) differs from the truth beyond --tol; the partial result is written to --out
  2  bad usage or unreadable/malformed input file (nothing is queried)
  3  internal error

Examples:
  relurev make --arch 10-20-2 --seed 7 --out target.json
  relurev extract --model target.json --out recovered.json --truth target.json
  relurev extract --model target.onnx --out recovered.onnx --budget 1000000 --json
  relurev extract --url http://127.0.0.1:8080/ --input-dim 10 --query-log q.log --out recovered.json`;

export function registerExtract(program: Command): void {
  const cmd = program
    .command('extract')
    .description(
      'recover a ReLU network from black-box queries: depth, widths, every weight and bias (up to neuron permutation ' +
        'and positive scaling); the architecture is found, not given',
    );
  addOracleOptions(cmd);
  cmd
    .requiredOption('--out <file>', 'where to write the recovered network (relurev-mlp JSON, or ONNX if it ends in .onnx)')
    .option('--json', 'print the summary as one JSON object (the last line of stdout)')
    .option('--seed <n>', 'seed of the random queries; same seed and black box, same queries', '0')
    .option('--input-scale <x>', 'typical magnitude of one input coordinate, where the network is used (default 1)')
    .option('--truth <file>', 'the true network (model file): compare the result with it after alignment')
    .option('--tol <x>', 'with --truth: tolerance on the worst relative weight error and the functional error', '1e-6')
    .option('--quiet', 'no progress on stderr')
    .option('--report <file>', 'also write an HTML report (one self-contained page): summary, per-layer table, queries per phase; with --truth the per-layer error after alignment and, for 2-D inputs, the boundary map')
    .addHelpText('after', HELP)
    .action(action((flags: ExtractFlags) => runExtract(flags)));
}
