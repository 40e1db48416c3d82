// What the paper's figures (bench/fig3.ts, bench/fig4.ts) share: the options, the targets (seed 001 §6), mean ± sd
// over seeds, the run loop over target kinds × widths × seeds, the markdown table, the chart panels (Vega-Lite) and
// the files written (JSON, CSV, SVG, PNG). Each figure supplies one run, its summary, table and chart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { memorisationTask } from '../src/network/datasets.js';
import { randomNetwork } from '../src/network/init.js';
import { streamSeed } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import type { Network } from '../src/network/types.js';
import { renderChart } from '../src/report/chart.js';

export type TargetKind = 'untrained' | 'trained';

/** Input dimension of every network in Figures 3 and 4. */
export const INPUT_DIM = 10;

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

export interface FigureResult<R, S> {
  runs: R[];
  summary: S[];
  table: string;
  files: string[];
}

export interface MeanSd {
  mean: number;
  sd: number;
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

/** Mean ± sd of f over xs. */
export function pick<T>(xs: T[], f: (x: T) => number): MeanSd {
  const { mean, sd } = meanSd(xs.map(f));
  return { mean, sd };
}

/** Median of the finite values of f over xs (NaN when there are none). */
export function medianOf<T>(xs: T[], f: (x: T) => number): number {
  const v = xs.map(f).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** "mean ± sd" for a table cell ("n/a" when there are no finite values). */
export function ms(v: MeanSd, digits = 2): string {
  return Number.isFinite(v.mean) ? `${v.mean.toFixed(digits)} ± ${v.sd.toFixed(digits)}` : 'n/a';
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

/** What every run of a figure records first. */
export interface FigureRunBase {
  kind: TargetKind;
  width: number;
  seed: number;
  arch: string;
  /** Training accuracy of a trained target. */
  trainAccuracy?: number;
  /** Queries to the black box. */
  queries: number;
  queriesPerParameter: number;
  seconds: number;
}

/** The target of one run (makeTarget) and the fields its record starts with. */
export function figureTarget(kind: TargetKind, width: number, seed: number, dims: number[]): { net: Network; base: Omit<FigureRunBase, 'queries' | 'queriesPerParameter' | 'seconds'> } {
  const target = makeTarget(dims, seed, kind);
  return { net: target.net, base: { kind, width, seed, arch: dims.join('-'), trainAccuracy: target.accuracy } };
}

/** What every row of a figure's summary holds: the target kind, the width varied, the number of runs, mean ± sd of the cost. */
export interface FigureSummaryBase {
  kind: TargetKind;
  width: number;
  runs: number;
  queriesPerParameter: MeanSd;
  seconds: MeanSd;
}

/** One summary row per (kind, width), in first-seen order: the base fields, then rest(the group's runs). */
export function summariseByKindWidth<R extends FigureRunBase, T extends Omit<FigureSummaryBase, 'kind' | 'width' | 'runs'>>(
  runs: R[],
  rest: (group: R[]) => T,
): ({ kind: TargetKind; width: number; runs: number } & T)[] {
  const keys = [...new Set(runs.map((r) => `${r.kind}|${r.width}`))];
  return keys.map((key) => {
    const group = runs.filter((r) => `${r.kind}|${r.width}` === key);
    return { kind: group[0].kind, width: group[0].width, runs: group.length, ...rest(group) };
  });
}

/** A markdown table (pastes into BENCHMARKS.md). */
export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
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

export function band(series: string, x: number, v: MeanSd, part?: string): Band {
  return { series, part, x, mean: v.mean, lo: v.mean - v.sd, hi: v.mean + v.sd };
}

/** The same colour for the same targets in every figure. */
const SERIES_COLOURS: Record<string, string> = { untrained: '#4c78a8', trained: '#f58518', 'true width': '#9a9a9a' };

/** One panel of a horizontal concatenation. */
export type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

/**
 * A panel: mean line with points and ±sd error bars; colour by series, dash by part. Series named in `halo` (a
 * reference such as the true width) are also drawn as a wide pale line underneath, so they stay visible where the
 * other lines run exactly on them.
 */
export function bandPanel(
  values: Band[],
  opts: { title: string; xTitle: string; yTitle: string; series: string[]; parts?: string[]; zero?: boolean; halo?: string[] },
): Panel {
  const x = { field: 'x', type: 'quantitative', title: opts.xTitle, scale: { zero: false, nice: false, padding: 12 } } as const;
  const legend = { orient: 'right', labelLimit: 160, symbolOpacity: 1 } as const;
  const range = opts.series.map((name, i) => SERIES_COLOURS[name] ?? ['#54a24b', '#e45756', '#72b7b2'][i % 3]);
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: opts.series, range }, legend } as const;
  // Padding keeps wide lines and points at the extremes inside the plot (and the panel titles level).
  const scale = { zero: opts.zero ?? false, padding: 10 };
  const dash = opts.parts
    ? { strokeDash: { field: 'part', type: 'nominal', title: null, sort: opts.parts, legend: { ...legend, symbolType: 'stroke', symbolStrokeColor: '#444', symbolStrokeWidth: 2, symbolSize: 400 } }, detail: { field: 'part', type: 'nominal' } } as const
    : {};
  return {
    title: opts.title,
    width: 330,
    height: 260,
    data: { values },
    layer: [
      ...(opts.halo
        ? [
            {
              transform: [{ filter: { field: 'series', oneOf: opts.halo } }],
              mark: { type: 'line', strokeWidth: 10, opacity: 0.35, strokeCap: 'round' } as const,
              encoding: { x, y: { field: 'mean', type: 'quantitative', title: opts.yTitle, scale }, color, detail: { field: 'part', type: 'nominal' } } as const,
            },
          ]
        : []),
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

const SUPERSCRIPT: Record<number, string> = { 1: '¹', 2: '²' };
const SUBSCRIPT: Record<number, string> = { 1: '₁', 2: '₂' };

/** The bands of layer k's log normalised errors, weights and biases (summaries without a finite value left out). */
export function errorBands<S extends { kind: TargetKind; width: number }>(summary: S[], layer: 1 | 2, w: (s: S) => MeanSd, b: (s: S) => MeanSd): Band[] {
  const ok = (v: { mean: number }) => Number.isFinite(v.mean);
  const k = SUPERSCRIPT[layer];
  return summary.flatMap((s) => [
    ...(ok(w(s)) ? [band(s.kind, s.width, w(s), `weights W${k}`)] : []),
    ...(ok(b(s)) ? [band(s.kind, s.width, b(s), `biases b${k}`)] : []),
  ]);
}

/** The x axis of a figure: the width of the layer varied. */
export function widthTitle(layer: 1 | 2): string {
  return `width of layer ${layer} (n${SUBSCRIPT[layer]})`;
}

/** The right-hand panel of Figures 3 and 4: log normalised error of layer k's weights (solid) and biases (dashed). */
export function errorPanel(values: Band[], layer: 1 | 2): Panel {
  const k = SUPERSCRIPT[layer];
  return bandPanel(values, {
    title: `Log normalised error of layer ${layer}`,
    xTitle: widthTitle(layer),
    yTitle: `log₁₀ ‖Ŵ${k} − W${k}‖ / ‖W${k}‖`,
    series: ['untrained', 'trained'],
    parts: [`weights W${k}`, `biases b${k}`],
  });
}

/** A figure: panels side by side under one title. */
export function figureSpec(title: string, panels: Panel[], resolve?: Extract<TopLevelSpec, { hconcat: unknown }>['resolve']): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', offset: 14 },
    spacing: 16,
    hconcat: panels,
    ...(resolve ? { resolve } : {}),
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

/** One figure: its runs, how to summarise and show them. */
export interface FigureDefinition<R extends FigureRunBase, S> {
  /** File name stem and log prefix: "fig3", "fig4". */
  name: string;
  /** What the settings record calls it: "seed 001 Figure 3". */
  figure: string;
  widths: number[];
  quickWidths: number[];
  seeds: number;
  quickSeeds: number;
  /** One run of one target. */
  run: (kind: TargetKind, width: number, seed: number) => Promise<R>;
  /** The progress line of a run (after "<name> <kind> "). */
  describe: (run: R, seed: number) => string;
  summarise: (runs: R[]) => S[];
  table: (summary: S[]) => string;
  spec: (summary: S[]) => TopLevelSpec;
  /** Figure-specific settings recorded in the JSON (after kinds, before date). */
  settings?: Record<string, unknown>;
}

/**
 * The run loop of a figure: every target kind × width × seed 1..N in turn, a progress line per run, then the
 * summary; the table goes to print (stdout), the runs, summary and settings to <outDir>/<name>.json and .csv, the
 * chart to .svg and .png.
 */
export async function runFigure<R extends FigureRunBase, S>(def: FigureDefinition<R, S>, opts: FigureOptions): Promise<FigureResult<R, S>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const widths = opts.widths ?? (opts.quick ? def.quickWidths : def.widths);
  const seeds = opts.seeds ?? (opts.quick ? def.quickSeeds : def.seeds);
  const kinds = opts.kinds ?? ['untrained', 'trained'];
  const outDir = opts.outDir ?? join('out', 'bench');
  const started = Date.now();
  const runs: R[] = [];
  for (const kind of kinds) {
    for (const width of widths) {
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await def.run(kind, width, seed);
        runs.push(r);
        log(`${def.name} ${kind} ${def.describe(r, seed)}`);
      }
    }
  }
  const summary = def.summarise(runs);
  const table = def.table(summary);
  const settings = { figure: def.figure, quick: !!opts.quick, seeds, widths, kinds, ...def.settings, date: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
  const files = await writeFigureFiles(outDir, def.name, { settings, summary, runs }, runs, def.spec(summary));
  print(table);
  log(`${def.name}: ${runs.length} runs in ${settings.seconds.toFixed(1)} s; wrote ${files.join(', ')}`);
  return { runs, summary, table, files };
}
