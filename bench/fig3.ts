// Seed 001 Figure 3: the first-layer algorithm on networks with two hidden layers (input 10, second hidden layer
// 10), first-layer width varied; untrained targets with 10 outputs, trained ones (memorisation, §6) with 2.
// Per run: first-layer neurons found, queries per first-layer parameter identified, and the log normalised error
// log10(‖Ŵ¹ − W¹‖/‖W¹‖) and log10(‖b̂¹ − b¹‖/‖b¹‖) after alignment. Like the paper's Algorithm 1, the first-layer
// algorithm knows each neuron up to sign (the sign comes from the next layer), so rows are aligned up to sign and
// positive scale. Unlike the paper's run, ours is not told the width: it stops when a round of new lines finds
// no new neuron, and those queries are counted too.
//
//   relurev bench fig3 [--quick] [--seeds N] [--out DIR]     (or: npm run bench -- fig3 ...)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { munkres } from 'munkres';
import type { TopLevelSpec } from 'vega-lite';
import type { Row } from '../src/extract/first-layer.js';
import { findFirstLayer } from '../src/extract/first-layer-search.js';
import { Tolerances } from '../src/geometry/tolerances.js';
import { memorisationTask } from '../src/network/datasets.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, streamSeed } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import type { Layer, Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';
import { renderChart } from '../src/report/chart.js';

export type TargetKind = 'untrained' | 'trained';

export interface FigureOptions {
  /** Reduced widths and seeds: finishes in under two minutes. */
  quick?: boolean;
  /** Runs (seeds 1..N) per width and kind. */
  seeds?: number;
  /** Directory for the JSON, CSV, SVG and PNG (created if absent). */
  outDir?: string;
  /** Override the widths varied. */
  widths?: number[];
  /** Wall-clock limit per extraction in seconds (fig4; default 300, --quick 15): a run past it stops and counts as incomplete. */
  timeLimit?: number;
  /** Which targets (default both). */
  kinds?: TargetKind[];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Where the table goes (default: stdout). */
  print?: (text: string) => void;
}

/** Mean and sample standard deviation over the finite values (NaN when there are none). */
export function meanSd(values: number[]): { mean: number; sd: number; n: number } {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, sd: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd, n: v.length };
}

export function fmtMeanSd(values: number[], digits = 2): string {
  const { mean, sd, n } = meanSd(values);
  return n === 0 ? 'n/a' : `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

/** Below float64 resolution a log error is −∞ (exact); plotted and averaged at this floor. */
export const LOG_FLOOR = -17;

export function floorLog(v: number): number {
  return v === -Infinity ? LOG_FLOOR : v;
}

/**
 * A test target as in seed 001 §6: W ~ N(0, 2/fan_in), b ~ N(0, 1); trained ones then memorise 1000 random N(0, 1)
 * inputs with random binary labels (Adam, softmax cross-entropy), stopping at 100% training accuracy or 500 epochs.
 */
export function makeTarget(dims: number[], seed: number, kind: TargetKind): { net: Network; accuracy?: number; epochs?: number } {
  const net = randomNetwork(dims, seed);
  if (kind === 'untrained') return { net };
  const data = memorisationTask(dims[0], 1000, streamSeed(seed, 1));
  const r = trainClassifier(net, data.xs, data.labels, data.n, { epochs: 500, lr: 3e-3, seed: streamSeed(seed, 2), targetAccuracy: 1 });
  return { net, accuracy: r.accuracy, epochs: r.epochs };
}

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

export interface Fig3Run {
  kind: TargetKind;
  width: number;
  seed: number;
  arch: string;
  /** Training accuracy of a trained target. */
  trainAccuracy?: number;
  found: number;
  missing: number;
  spurious: number;
  queries: number;
  /** First-layer parameters identified: found × (input dim + 1). */
  parameters: number;
  queriesPerParameter: number;
  logErrW: number;
  logErrB: number;
  seconds: number;
}

export interface Fig3Summary {
  kind: TargetKind;
  width: number;
  runs: number;
  found: { mean: number; sd: number };
  /** Runs that found exactly the true neurons (none missing, none spurious). */
  exact: number;
  queriesPerParameter: { mean: number; sd: number };
  logErrW: { mean: number; sd: number };
  logErrB: { mean: number; sd: number };
  seconds: { mean: number; sd: number };
}

export interface FigureResult<R, S> {
  runs: R[];
  summary: S[];
  table: string;
  files: string[];
}

const INPUT = 10;
const SECOND = 10;
const FIG3_WIDTHS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
const FIG3_QUICK_WIDTHS = [10, 40, 100];

/** One first-layer extraction. */
export async function fig3Run(kind: TargetKind, width: number, seed: number): Promise<Fig3Run> {
  const dims = [INPUT, width, SECOND, kind === 'untrained' ? 10 : 2];
  const target = makeTarget(dims, seed, kind);
  const oracle = new CountingOracle(new LocalOracle(target.net));
  const start = performance.now();
  const res = await findFirstLayer({ oracle, rng: makeRng(seed, 17), tol: Tolerances.for('float64'), scale: 1, progress: () => {} });
  const seconds = (performance.now() - start) / 1000;
  const a = alignRowsUpToSign(res.rows, target.net.layers[0]);
  const parameters = a.found * (INPUT + 1);
  return {
    kind,
    width,
    seed,
    arch: dims.join('-'),
    trainAccuracy: target.accuracy,
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

function pick<T>(xs: T[], f: (x: T) => number): { mean: number; sd: number } {
  const { mean, sd } = meanSd(xs.map(f));
  return { mean, sd };
}

export function summariseFig3(runs: Fig3Run[]): Fig3Summary[] {
  const keys = [...new Set(runs.map((r) => `${r.kind}|${r.width}`))];
  return keys.map((key) => {
    const group = runs.filter((r) => `${r.kind}|${r.width}` === key);
    return {
      kind: group[0].kind,
      width: group[0].width,
      runs: group.length,
      found: pick(group, (r) => r.found),
      exact: group.filter((r) => r.missing === 0 && r.spurious === 0).length,
      queriesPerParameter: pick(group, (r) => r.queriesPerParameter),
      logErrW: pick(group, (r) => floorLog(r.logErrW)),
      logErrB: pick(group, (r) => floorLog(r.logErrB)),
      seconds: pick(group, (r) => r.seconds),
    };
  });
}

function ms(v: { mean: number; sd: number }, digits = 2): string {
  return Number.isFinite(v.mean) ? `${v.mean.toFixed(digits)} ± ${v.sd.toFixed(digits)}` : 'n/a';
}

/** A markdown table (pastes into BENCHMARKS.md). */
export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
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

/** CSV of flat records (header from the first record's keys). */
export function toCsv(records: object[]): string {
  if (records.length === 0) return '';
  const keys = Object.keys(records[0]);
  const cell = (v: unknown) => {
    if (v === undefined || v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...records.map((r) => keys.map((k) => cell((r as Record<string, unknown>)[k])).join(','))].join('\n') + '\n';
}

/** JSON has no Infinity or NaN: write them as strings. */
export function jsonNonFinite(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** Mean ± sd points for a chart: one row per (series, part, x). */
export interface Band {
  /** Colour: the target kind (or "true width"). */
  series: string;
  /** Line style: which quantity (e.g. weights or biases); one solid line when absent. */
  part?: string;
  x: number;
  mean: number;
  lo: number;
  hi: number;
}

export function band(series: string, x: number, v: { mean: number; sd: number }, part?: string): Band {
  return { series, part, x, mean: v.mean, lo: v.mean - v.sd, hi: v.mean + v.sd };
}

/** The same colour for the same targets in every figure. */
const SERIES_COLOURS: Record<string, string> = { untrained: '#4c78a8', trained: '#f58518', 'true width': '#9a9a9a' };

/** One panel of a horizontal concatenation. */
export type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

/** A panel: mean line with points and ±sd error bars; colour by series, dash by part. */
export function bandPanel(
  values: Band[],
  opts: { title: string; xTitle: string; yTitle: string; series: string[]; parts?: string[]; zero?: boolean },
): Panel {
  const x = { field: 'x', type: 'quantitative', title: opts.xTitle, scale: { zero: false, nice: false, padding: 12 } } as const;
  const legend = { orient: 'right', labelLimit: 160 } as const;
  const range = opts.series.map((name, i) => SERIES_COLOURS[name] ?? ['#54a24b', '#e45756', '#72b7b2'][i % 3]);
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: opts.series, range }, legend } as const;
  const scale = { zero: opts.zero ?? false };
  const dash = opts.parts
    ? { strokeDash: { field: 'part', type: 'nominal', title: null, sort: opts.parts, legend: { ...legend, symbolType: 'stroke', symbolStrokeColor: '#444', symbolStrokeWidth: 2, symbolSize: 400 } }, detail: { field: 'part', type: 'nominal' } } as const
    : {};
  return {
    title: opts.title,
    width: 330,
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: opts.yTitle, scale }, y2: { field: 'hi' }, color, ...(opts.parts ? { detail: { field: 'part', type: 'nominal' } } : {}) },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: opts.yTitle, scale }, color, ...dash },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: opts.yTitle, scale }, color },
      },
    ],
  };
}

export function fig3Spec(summary: Fig3Summary[]): TopLevelSpec {
  const ok = (v: { mean: number }) => Number.isFinite(v.mean);
  const qpp = summary.filter((s) => ok(s.queriesPerParameter)).map((s) => band(s.kind, s.width, s.queriesPerParameter));
  const err = summary.flatMap((s) => [
    ...(ok(s.logErrW) ? [band(s.kind, s.width, s.logErrW, 'weights W¹')] : []),
    ...(ok(s.logErrB) ? [band(s.kind, s.width, s.logErrB, 'biases b¹')] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'First-layer algorithm (seed 001 Figure 3): 10-n₁-10-out, mean ± sd over seeds', anchor: 'start' },
    spacing: 16,
    hconcat: [
      bandPanel(qpp, { title: 'Queries per parameter identified', xTitle: 'width of layer 1 (n₁)', yTitle: 'queries / parameter', series: ['untrained', 'trained'], zero: true }),
      bandPanel(err, {
        title: 'Log normalised error of layer 1',
        xTitle: 'width of layer 1 (n₁)',
        yTitle: 'log₁₀ ‖Ŵ¹ − W¹‖ / ‖W¹‖',
        series: ['untrained', 'trained'],
        parts: ['weights W¹', 'biases b¹'],
      }),
    ],
  };
}

/** Write name.json, name.csv, name.svg and name.png into dir; returns the paths. */
export async function writeFigureFiles(dir: string, name: string, payload: object, runs: object[], spec: TopLevelSpec): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = ['json', 'csv', 'svg', 'png'].map((ext) => join(dir, `${name}.${ext}`));
  writeFileSync(files[0], JSON.stringify(payload, jsonNonFinite, 2) + '\n');
  writeFileSync(files[1], toCsv(runs));
  await renderChart(spec, files[2]);
  await renderChart(spec, files[3]);
  return files;
}

export async function runFig3(opts: FigureOptions = {}): Promise<FigureResult<Fig3Run, Fig3Summary>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const widths = opts.widths ?? (opts.quick ? FIG3_QUICK_WIDTHS : FIG3_WIDTHS);
  const seeds = opts.seeds ?? (opts.quick ? 2 : 10);
  const kinds = opts.kinds ?? ['untrained', 'trained'];
  const outDir = opts.outDir ?? join('out', 'bench');
  const started = Date.now();
  const runs: Fig3Run[] = [];
  for (const kind of kinds) {
    for (const width of widths) {
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await fig3Run(kind, width, seed);
        runs.push(r);
        log(
          `fig3 ${kind} ${r.arch} seed ${seed}: ${r.found}/${width} neurons, ${r.queries} queries ` +
            `(${r.queriesPerParameter.toFixed(1)}/parameter), log err W¹ ${r.logErrW.toFixed(2)}, b¹ ${r.logErrB.toFixed(2)}` +
            (r.trainAccuracy !== undefined ? `, trained to ${(100 * r.trainAccuracy).toFixed(1)}%` : ''),
        );
      }
    }
  }
  const summary = summariseFig3(runs);
  const table = fig3Table(summary);
  const settings = { figure: 'seed 001 Figure 3', quick: !!opts.quick, seeds, widths, kinds, inputDim: INPUT, secondWidth: SECOND, date: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
  const files = await writeFigureFiles(outDir, 'fig3', { settings, summary, runs }, runs, fig3Spec(summary));
  print(table);
  log(`fig3: ${runs.length} runs in ${settings.seconds.toFixed(1)} s; wrote ${files.join(', ')}`);
  return { runs, summary, table, files };
}
