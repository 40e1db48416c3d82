// Seed 001 Figure 4: the algorithm for additional layers, on networks with two hidden layers (input 10, first
// hidden layer 10), second-layer width varied; untrained targets with 10 outputs, trained ones (memorisation, §6)
// with 2. Each run is a whole extraction (extractNetwork: the architecture is not given). Per run: layer-2 neurons
// estimated against the true width, and the log normalised error of layer 2 between estimated neurons and their
// corresponding true ones (compareNetworks: alignment by permutation and positive scaling, signs included).
//
//   relurev bench fig4 [--quick] [--seeds N] [--out DIR]     (or: npm run bench -- fig4 ...)
import type { TopLevelSpec } from 'vega-lite';
import { extractNetwork } from '../src/extract/driver.js';
import { align } from '../src/network/align.js';
import { compareNetworks } from '../src/network/compare.js';
import { parameterCount } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { OracleError, type Oracle } from '../src/oracle/types.js';
import { INPUT_DIM, band, bandPanel, errorBands, errorPanel, figureSpec, figureTarget, floorLog, markdownTable, medianOf, ms, pick, runFigure, summariseByKindWidth, widthTitle } from './figure-common.js';
import type { FigureOptions, FigureResult, FigureRunBase, FigureSummaryBase, MeanSd, TargetKind } from './figure-common.js';

export interface Fig4Run extends FigureRunBase {
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
  error?: string;
}

export interface Fig4Summary extends FigureSummaryBase {
  layer2Found: MeanSd;
  layer2Correct: MeanSd;
  logErrW2: MeanSd;
  logErrB2: MeanSd;
  /** Median over the runs of log err W² and b²: one badly wrong neuron dominates a run's error, and the mean. */
  logErrW2Median: number;
  logErrB2Median: number;
  complete: number;
  /** Runs stopped by the time limit. */
  timedOut: number;
}

const FIRST = 10;

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
  const dims = [INPUT_DIM, FIRST, width, kind === 'untrained' ? 10 : 2];
  const target = figureTarget(kind, width, seed, dims);
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
    ...target.base,
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

export function summariseFig4(runs: Fig4Run[]): Fig4Summary[] {
  return summariseByKindWidth(runs, (group) => ({
    layer2Found: pick(group, (r) => r.layer2Found),
    layer2Correct: pick(group, (r) => r.layer2Correct),
    logErrW2: pick(group, (r) => floorLog(r.logErrW2)),
    logErrB2: pick(group, (r) => floorLog(r.logErrB2)),
    logErrW2Median: medianOf(group, (r) => floorLog(r.logErrW2)),
    logErrB2Median: medianOf(group, (r) => floorLog(r.logErrB2)),
    queriesPerParameter: pick(group, (r) => r.queriesPerParameter),
    complete: group.filter((r) => r.complete).length,
    timedOut: group.filter((r) => r.error?.startsWith('time limit')).length,
    seconds: pick(group, (r) => r.seconds),
  }));
}

export function fig4Table(summary: Fig4Summary[]): string {
  return markdownTable(
    ['targets', 'arch', 'runs', 'layer-2 neurons found', 'of which correct (≤ 1e-6)', 'log₁₀ err W²', 'log₁₀ err b²', 'median log₁₀ err W² / b²', 'complete', 'queries / parameter', 'seconds'],
    summary.map((s) => [
      s.kind,
      `10-10-${s.width}-${s.kind === 'untrained' ? 10 : 2}`,
      String(s.runs),
      `${ms(s.layer2Found, 1)} (true ${s.width})`,
      ms(s.layer2Correct, 1),
      ms(s.logErrW2),
      ms(s.logErrB2),
      Number.isFinite(s.logErrW2Median) ? `${s.logErrW2Median.toFixed(2)} / ${s.logErrB2Median.toFixed(2)}` : 'n/a',
      `${s.complete}/${s.runs}${s.timedOut ? ` (${s.timedOut} timed out)` : ''}`,
      ms(s.queriesPerParameter, 1),
      ms(s.seconds, 1),
    ]),
  );
}

export function fig4Spec(summary: Fig4Summary[]): TopLevelSpec {
  const widths = [...new Set(summary.map((s) => s.width))];
  const truth = widths.map((w) => band('true width', w, { mean: w, sd: 0 }, 'found'));
  const found = summary.flatMap((s) => [band(s.kind, s.width, s.layer2Found, 'found'), band(s.kind, s.width, s.layer2Correct, 'correct to 1e-6')]);
  return figureSpec(
    'Additional-layer algorithm (seed 001 Figure 4): 10-10-n₂-out, mean ± sd over seeds',
    [
      bandPanel([...truth, ...found], {
        title: 'Layer-2 neurons estimated',
        xTitle: widthTitle(2),
        yTitle: 'layer-2 neurons found',
        series: ['true width', 'untrained', 'trained'],
        parts: ['found', 'correct to 1e-6'],
        zero: true,
        halo: ['true width'],
      }),
      errorPanel(
        errorBands(summary, 2, (s) => s.logErrW2, (s) => s.logErrB2),
        2,
      ),
    ],
    { scale: { color: 'independent', strokeDash: 'independent' } },
  );
}

export async function runFig4(opts: FigureOptions = {}): Promise<FigureResult<Fig4Run, Fig4Summary>> {
  const timeLimit = opts.timeLimit ?? (opts.quick ? 15 : 300);
  return runFigure(
    {
      name: 'fig4',
      figure: 'seed 001 Figure 4',
      widths: [10, 20, 30, 40, 50],
      quickWidths: [10, 20],
      seeds: 4,
      quickSeeds: 2,
      run: (kind, width, seed) => fig4Run(kind, width, seed, timeLimit),
      describe: (r, seed) =>
        `${r.arch} seed ${seed}: widths found ${r.widthsFound || '(none)'}, layer 2 ${r.layer2Found}/${r.width} ` +
        `(${r.layer2Matched} matched, ${r.layer2Correct} correct), log err W² ${r.logErrW2.toFixed(2)}, b² ${r.logErrB2.toFixed(2)}, ` +
        `${r.queries} queries, ${r.seconds.toFixed(1)} s${r.complete ? '' : `, incomplete (${r.unresolved} unresolved)`}` +
        (r.error ? `, error: ${r.error}` : ''),
      summarise: summariseFig4,
      table: fig4Table,
      spec: fig4Spec,
      settings: { timeLimit, inputDim: INPUT_DIM, firstWidth: FIRST },
    },
    opts,
  );
}
