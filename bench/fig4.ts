// Seed 001 Figure 4: the algorithm for additional layers, on networks with two hidden layers (input 10, first
// hidden layer 10), second-layer width varied; untrained targets with 10 outputs, trained ones (memorisation, §6)
// with 2. Each run is a whole extraction (extractNetwork: the architecture is not given). Per run: layer-2 neurons
// estimated against the true width, and the log normalised error of layer 2 between estimated neurons and their
// corresponding true ones (compareNetworks: alignment by permutation and positive scaling, signs included).
//
//   relurev bench fig4 [--quick] [--seeds N] [--out DIR]     (or: npm run bench -- fig4 ...)
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { extractNetwork } from '../src/extract/driver.js';
import { align } from '../src/network/align.js';
import { compareNetworks } from '../src/network/compare.js';
import { parameterCount } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { OracleError, type Oracle } from '../src/oracle/types.js';
import {
  band,
  bandPanel,
  floorLog,
  makeTarget,
  markdownTable,
  meanSd,
  writeFigureFiles,
  type FigureOptions,
  type FigureResult,
  type TargetKind,
} from './fig3.js';

export interface Fig4Run {
  kind: TargetKind;
  width: number;
  seed: number;
  arch: string;
  trainAccuracy?: number;
  /** Hidden widths found. */
  widthsFound: string;
  /** Layer-2 neurons estimated (0 when the extraction found one hidden layer only). */
  layer2Found: number;
  layer2Matched: number;
  /** Matched layer-2 neurons whose every weight and bias is within 1e-6 (relative to the row's largest entry). */
  layer2Correct: number;
  layer1Found: number;
  /** Log normalised errors of layer 2 over matched neurons (NaN when no layer 2 was found). */
  logErrW2: number;
  logErrB2: number;
  logErrW1: number;
  logErrB1: number;
  worstRelErr: number;
  functionalError: number;
  complete: boolean;
  unresolved: number;
  queries: number;
  queriesPerParameter: number;
  seconds: number;
  error?: string;
}

export interface Fig4Summary {
  kind: TargetKind;
  width: number;
  runs: number;
  layer2Found: { mean: number; sd: number };
  layer2Correct: { mean: number; sd: number };
  logErrW2: { mean: number; sd: number };
  logErrB2: { mean: number; sd: number };
  queriesPerParameter: { mean: number; sd: number };
  complete: number;
  /** Runs stopped by the time limit. */
  timedOut: number;
  seconds: { mean: number; sd: number };
}

const INPUT = 10;
const FIRST = 10;
const FIG4_WIDTHS = [10, 20, 30, 40, 50];
const FIG4_QUICK_WIDTHS = [10, 20];

/** A neuron counts as correct when its worst entry is within this, relative to its true row's largest entry. */
const CORRECT = 1e-6;

/** Worst entry error of an aligned neuron [w, b], relative to the largest entry of its true row. */
function neuronError(p: { w: Float64Array; b: number; wTrue: Float64Array; bTrue: number }): number {
  let err = Math.abs(p.b - p.bTrue);
  let ref = Math.abs(p.bTrue);
  for (let i = 0; i < p.wTrue.length; i++) {
    err = Math.max(err, Math.abs(p.w[i] - p.wTrue[i]));
    ref = Math.max(ref, Math.abs(p.wTrue[i]));
  }
  return ref > 0 ? err / ref : err;
}

/**
 * A black box that stops answering after a wall-clock limit: the extraction then ends the way it ends on any black-box
 * failure (a partial result, with the reason in its error), so one slow run cannot stall the whole figure.
 */
class DeadlineOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly deadline: number;
  constructor(private readonly inner: Oracle, private readonly seconds: number) {
    this.inputDim = inner.inputDim;
    this.outputDim = inner.outputDim;
    this.deadline = performance.now() + 1000 * seconds;
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    if (performance.now() > this.deadline) throw new OracleError(`time limit of ${this.seconds} s per run reached`);
    return this.inner.query(xs, n);
  }
}

/** One extraction of a 10-10-width-out target; stopped (and counted incomplete) after timeLimit seconds. */
export async function fig4Run(kind: TargetKind, width: number, seed: number, timeLimit = Infinity): Promise<Fig4Run> {
  const dims = [INPUT, FIRST, width, kind === 'untrained' ? 10 : 2];
  const target = makeTarget(dims, seed, kind);
  const oracle = new CountingOracle(new DeadlineOracle(new LocalOracle(target.net), timeLimit));
  const res = await extractNetwork(oracle, { seed });
  // A partial result may hold hidden layers only: compare only a network that ends with its output layer.
  const whole = res.network && res.network.layers.length === res.widths.length + 1 ? res.network : null;
  const cmp = whole ? compareNetworks(whole, target.net, { samples: 500, seed }) : null;
  const l1 = cmp?.layers.find((l) => l.layer === 1 && !l.output);
  const l2 = cmp?.layers.find((l) => l.layer === 2 && !l.output);
  const pairs = whole && whole.layers.length > 2 ? (align(whole, target.net)[1]?.pairs ?? []) : [];
  const layer2Correct = pairs.filter((p) => neuronError(p) <= CORRECT).length;
  return {
    kind,
    width,
    seed,
    arch: dims.join('-'),
    trainAccuracy: target.accuracy,
    widthsFound: res.widths.join('-'),
    layer2Found: res.widths[1] ?? 0,
    layer2Matched: l2?.matched ?? 0,
    layer2Correct,
    layer1Found: res.widths[0] ?? 0,
    logErrW2: l2?.logErrW ?? NaN,
    logErrB2: l2?.logErrB ?? NaN,
    logErrW1: l1?.logErrW ?? NaN,
    logErrB1: l1?.logErrB ?? NaN,
    worstRelErr: cmp?.worstRelErr ?? NaN,
    functionalError: cmp?.functionalError ?? NaN,
    complete: res.complete,
    unresolved: res.unresolved.length,
    queries: res.queries,
    queriesPerParameter: res.queries / parameterCount(target.net),
    seconds: res.seconds,
    error: res.error,
  };
}

function pick<T>(xs: T[], f: (x: T) => number): { mean: number; sd: number } {
  const { mean, sd } = meanSd(xs.map(f));
  return { mean, sd };
}

export function summariseFig4(runs: Fig4Run[]): Fig4Summary[] {
  const keys = [...new Set(runs.map((r) => `${r.kind}|${r.width}`))];
  return keys.map((key) => {
    const group = runs.filter((r) => `${r.kind}|${r.width}` === key);
    return {
      kind: group[0].kind,
      width: group[0].width,
      runs: group.length,
      layer2Found: pick(group, (r) => r.layer2Found),
      layer2Correct: pick(group, (r) => r.layer2Correct),
      logErrW2: pick(group, (r) => floorLog(r.logErrW2)),
      logErrB2: pick(group, (r) => floorLog(r.logErrB2)),
      queriesPerParameter: pick(group, (r) => r.queriesPerParameter),
      complete: group.filter((r) => r.complete).length,
      timedOut: group.filter((r) => r.error?.startsWith('time limit')).length,
      seconds: pick(group, (r) => r.seconds),
    };
  });
}

function ms(v: { mean: number; sd: number }, digits = 2): string {
  return Number.isFinite(v.mean) ? `${v.mean.toFixed(digits)} ± ${v.sd.toFixed(digits)}` : 'n/a';
}

export function fig4Table(summary: Fig4Summary[]): string {
  return markdownTable(
    ['targets', 'arch', 'runs', 'layer-2 neurons found', 'of which correct (≤ 1e-6)', 'log₁₀ err W²', 'log₁₀ err b²', 'complete', 'queries / parameter', 'seconds'],
    summary.map((s) => [
      s.kind,
      `10-10-${s.width}-${s.kind === 'untrained' ? 10 : 2}`,
      String(s.runs),
      `${ms(s.layer2Found, 1)} (true ${s.width})`,
      ms(s.layer2Correct, 1),
      ms(s.logErrW2),
      ms(s.logErrB2),
      `${s.complete}/${s.runs}${s.timedOut ? ` (${s.timedOut} timed out)` : ''}`,
      ms(s.queriesPerParameter, 1),
      ms(s.seconds, 1),
    ]),
  );
}

export function fig4Spec(summary: Fig4Summary[]): TopLevelSpec {
  const ok = (v: { mean: number }) => Number.isFinite(v.mean);
  const widths = [...new Set(summary.map((s) => s.width))];
  const truth = widths.map((w) => band('true width', w, { mean: w, sd: 0 }, 'found'));
  const found = summary.flatMap((s) => [band(s.kind, s.width, s.layer2Found, 'found'), band(s.kind, s.width, s.layer2Correct, 'correct to 1e-6')]);
  const err = summary.flatMap((s) => [
    ...(ok(s.logErrW2) ? [band(s.kind, s.width, s.logErrW2, 'weights W²')] : []),
    ...(ok(s.logErrB2) ? [band(s.kind, s.width, s.logErrB2, 'biases b²')] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Additional-layer algorithm (seed 001 Figure 4): 10-10-n₂-out, mean ± sd over seeds', anchor: 'start' },
    spacing: 16,
    hconcat: [
      bandPanel([...truth, ...found], {
        title: 'Layer-2 neurons estimated',
        xTitle: 'width of layer 2 (n₂)',
        yTitle: 'layer-2 neurons found',
        series: ['true width', 'untrained', 'trained'],
        parts: ['found', 'correct to 1e-6'],
        zero: true,
      }),
      bandPanel(err, {
        title: 'Log normalised error of layer 2',
        xTitle: 'width of layer 2 (n₂)',
        yTitle: 'log₁₀ ‖Ŵ² − W²‖ / ‖W²‖',
        series: ['untrained', 'trained'],
        parts: ['weights W²', 'biases b²'],
      }),
    ],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  };
}

export async function runFig4(opts: FigureOptions = {}): Promise<FigureResult<Fig4Run, Fig4Summary>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const widths = opts.widths ?? (opts.quick ? FIG4_QUICK_WIDTHS : FIG4_WIDTHS);
  const seeds = opts.seeds ?? (opts.quick ? 2 : 4);
  const kinds = opts.kinds ?? ['untrained', 'trained'];
  const outDir = opts.outDir ?? join('out', 'bench');
  const timeLimit = opts.timeLimit ?? (opts.quick ? 15 : 300);
  const started = Date.now();
  const runs: Fig4Run[] = [];
  for (const kind of kinds) {
    for (const width of widths) {
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await fig4Run(kind, width, seed, timeLimit);
        runs.push(r);
        log(
          `fig4 ${kind} ${r.arch} seed ${seed}: widths found ${r.widthsFound || '(none)'}, layer 2 ${r.layer2Found}/${width} ` +
            `(${r.layer2Matched} matched, ${r.layer2Correct} correct), log err W² ${r.logErrW2.toFixed(2)}, b² ${r.logErrB2.toFixed(2)}, ` +
            `${r.queries} queries, ${r.seconds.toFixed(1)} s${r.complete ? '' : `, incomplete (${r.unresolved} unresolved)`}` +
            (r.error ? `, error: ${r.error}` : ''),
        );
      }
    }
  }
  const summary = summariseFig4(runs);
  const table = fig4Table(summary);
  const settings = { figure: 'seed 001 Figure 4', quick: !!opts.quick, seeds, widths, kinds, timeLimit, inputDim: INPUT, firstWidth: FIRST, date: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
  const files = await writeFigureFiles(outDir, 'fig4', { settings, summary, runs }, runs, fig4Spec(summary));
  print(table);
  log(`fig4: ${runs.length} runs in ${settings.seconds.toFixed(1)} s; wrote ${files.join(', ')}`);
  return { runs, summary, table, files };
}
