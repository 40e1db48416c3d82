// Seed 001 Figure 3: the first-layer algorithm on networks with two hidden layers (input 10, second hidden layer
// 10), first-layer width varied; untrained targets with 10 outputs, trained ones (memorisation, §6) with 2.
// Per run: first-layer neurons found, queries per first-layer parameter identified, and the log normalised error
// log10(‖Ŵ¹ − W¹‖/‖W¹‖) and log10(‖b̂¹ − b¹‖/‖b¹‖) after alignment. Like the paper's Algorithm 1, the first-layer
// algorithm knows each neuron up to sign (the sign comes from the next layer), so rows are aligned up to sign and
// positive scale. Unlike the paper's run, ours is not told the width: it stops when a round of new lines finds
// no new neuron, and those queries are counted too.
//
//   relurev bench fig3 [--quick] [--seeds N] [--out DIR]     (or: npm run bench -- fig3 ...)
import type { TopLevelSpec } from 'vega-lite';
import { munkres } from 'munkres';
import type { Row } from '../src/extract/first-layer.js';
import { findFirstLayer } from '../src/extract/first-layer-search.js';
import { Tolerances } from '../src/geometry/tolerances.js';
import { makeRng } from '../src/network/random.js';
import type { Layer } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { INPUT_DIM, band, bandPanel, errorBands, errorPanel, figureSpec, figureTarget, floorLog, markdownTable, ms, pick, runFigure, summariseByKindWidth, widthTitle } from './figure-common.js';
import type { FigureOptions, FigureResult, FigureRunBase, FigureSummaryBase, MeanSd, TargetKind } from './figure-common.js';

export interface RowAlignment {
  trueWidth: number;
  found: number;
  matched: number;
  missing: number;
  spurious: number;
  /** log10(‖Ŵ − W‖_F / ‖W‖_F) over matched rows, both normalised to unit-norm weights, signs aligned. */
  logErrW: number;
  logErrB: number;
}

/** Rows [w, b] scaled so that ‖w‖ = 1. */
function unitRows(rows: Row[]): Row[] {
  return rows.map((r) => {
    let s = 0;
    for (const v of r.w) s += v * v;
    s = Math.sqrt(s) || 1;
    return { w: r.w.map((v) => v / s), b: r.b / s };
  });
}

function layerRows(layer: Layer): Row[] {
  return Array.from({ length: layer.outDim }, (_, j) => ({ w: layer.W.slice(j * layer.inDim, (j + 1) * layer.inDim), b: layer.b[j] }));
}

/**
 * Align recovered first-layer rows with the truth's up to permutation, positive scale and sign (Hungarian
 * assignment on the distance between unit-normalised rows, each pair taking its better sign).
 */
export function alignRowsUpToSign(recovered: Row[], truthLayer: Layer): RowAlignment {
  const truth = unitRows(layerRows(truthLayer));
  const rec = unitRows(recovered);
  const dist = (r: Row, t: Row, s: number) => {
    let d = (s * r.b - t.b) ** 2;
    for (let i = 0; i < t.w.length; i++) d += (s * r.w[i] - t.w[i]) ** 2;
    return Math.sqrt(d);
  };
  const assignment: [number, number][] = rec.length && truth.length ? munkres(rec.map((r) => truth.map((t) => Math.min(dist(r, t, 1), dist(r, t, -1))))) : [];
  let errW = 0;
  let refW = 0;
  let errB = 0;
  let refB = 0;
  for (const [jr, jt] of assignment) {
    const r = rec[jr];
    const t = truth[jt];
    const s = dist(r, t, 1) <= dist(r, t, -1) ? 1 : -1;
    for (let i = 0; i < t.w.length; i++) {
      errW += (s * r.w[i] - t.w[i]) ** 2;
      refW += t.w[i] ** 2;
    }
    errB += (s * r.b - t.b) ** 2;
    refB += t.b ** 2;
  }
  const m = assignment.length;
  return {
    trueWidth: truth.length,
    found: rec.length,
    matched: m,
    missing: truth.length - m,
    spurious: rec.length - m,
    logErrW: m ? Math.log10(Math.sqrt(errW) / Math.sqrt(refW)) : NaN,
    logErrB: m ? Math.log10(refB > 0 ? Math.sqrt(errB) / Math.sqrt(refB) : Math.sqrt(errB)) : NaN,
  };
}

export interface Fig3Run extends FigureRunBase {
  found: number;
  missing: number;
  spurious: number;
  /** First-layer parameters identified: found × (input dim + 1). */
  parameters: number;
  logErrW: number;
  logErrB: number;
}

export interface Fig3Summary extends FigureSummaryBase {
  found: MeanSd;
  /** Runs that found exactly the true neurons (none missing, none spurious). */
  exact: number;
  logErrW: MeanSd;
  logErrB: MeanSd;
}

const SECOND = 10;

/** One first-layer extraction. */
export async function fig3Run(kind: TargetKind, width: number, seed: number): Promise<Fig3Run> {
  const dims = [INPUT_DIM, width, SECOND, kind === 'untrained' ? 10 : 2];
  const target = figureTarget(kind, width, seed, dims);
  const oracle = new CountingOracle(new LocalOracle(target.net));
  const start = performance.now();
  const res = await findFirstLayer({ oracle, rng: makeRng(seed, 17), tol: Tolerances.for('float64'), scale: 1, progress: () => {} });
  const seconds = (performance.now() - start) / 1000;
  const a = alignRowsUpToSign(res.rows, target.net.layers[0]);
  const parameters = a.found * (INPUT_DIM + 1);
  return {
    ...target.base,
    found: a.found,
    missing: a.missing,
    spurious: a.spurious,
    queries: oracle.queries,
    parameters,
    queriesPerParameter: parameters ? oracle.queries / parameters : NaN,
    logErrW: a.logErrW,
    logErrB: a.logErrB,
    seconds,
  };
}

export function summariseFig3(runs: Fig3Run[]): Fig3Summary[] {
  return summariseByKindWidth(runs, (group) => ({
    found: pick(group, (r) => r.found),
    exact: group.filter((r) => r.missing === 0 && r.spurious === 0).length,
    queriesPerParameter: pick(group, (r) => r.queriesPerParameter),
    logErrW: pick(group, (r) => floorLog(r.logErrW)),
    logErrB: pick(group, (r) => floorLog(r.logErrB)),
    seconds: pick(group, (r) => r.seconds),
  }));
}

export function fig3Table(summary: Fig3Summary[]): string {
  return markdownTable(
    ['targets', 'arch', 'runs', 'neurons found', 'exact width', 'queries / parameter', 'log₁₀ err W¹', 'log₁₀ err b¹', 'seconds'],
    summary.map((s) => [
      s.kind,
      `10-${s.width}-10-${s.kind === 'untrained' ? 10 : 2}`,
      String(s.runs),
      ms(s.found, 1),
      `${s.exact}/${s.runs}`,
      ms(s.queriesPerParameter, 1),
      ms(s.logErrW),
      ms(s.logErrB),
      ms(s.seconds),
    ]),
  );
}

export function fig3Spec(summary: Fig3Summary[]): TopLevelSpec {
  const qpp = summary.filter((s) => Number.isFinite(s.queriesPerParameter.mean)).map((s) => band(s.kind, s.width, s.queriesPerParameter));
  return figureSpec('First-layer algorithm (seed 001 Figure 3): 10-n₁-10-out, mean ± sd over seeds', [
    bandPanel(qpp, { title: 'Queries per parameter identified', xTitle: widthTitle(1), yTitle: 'queries / parameter', series: ['untrained', 'trained'], zero: true }),
    errorPanel(
      errorBands(summary, 1, (s) => s.logErrW, (s) => s.logErrB),
      1,
    ),
  ]);
}

export async function runFig3(opts: FigureOptions = {}): Promise<FigureResult<Fig3Run, Fig3Summary>> {
  return runFigure(
    {
      name: 'fig3',
      figure: 'seed 001 Figure 3',
      widths: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      quickWidths: [10, 40, 100],
      seeds: 10,
      quickSeeds: 2,
      run: fig3Run,
      describe: (r, seed) =>
        `${r.arch} seed ${seed}: ${r.found}/${r.width} neurons, ${r.queries} queries ` +
        `(${r.queriesPerParameter.toFixed(1)}/parameter), log err W¹ ${r.logErrW.toFixed(2)}, b¹ ${r.logErrB.toFixed(2)}` +
        (r.trainAccuracy !== undefined ? `, trained to ${(100 * r.trainAccuracy).toFixed(1)}%` : ''),
      summarise: summariseFig3,
      table: fig3Table,
      spec: fig3Spec,
      settings: { inputDim: INPUT_DIM, secondWidth: SECOND },
    },
    opts,
  );
}
