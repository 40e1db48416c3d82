// Issue 6: extraction as the networks grow — untrained networks from 10-16-1 to 784-256-10 and 784-128-128-10
// (inputs 10 → 784, widths 16 → 256, 1 → 4 hidden layers), and targets trained on the full MNIST digits
// (784-128-10, 784-32-16-10, as `relurev make --trained --data mnist` trains them). Prints per network: widths
// found and true, parameters, queries, queries per parameter, seconds, worst and median relative weight error,
// functional error; the issue's acceptance criteria, checked; where each run's queries and time went, per phase;
// and writes a log-log chart of queries and seconds against parameters (scale.svg and scale.png; --quick:
// scale-quick.*, --only: scale-only.*) into bench/results, or into --out DIR.
//
//   npm run bench -- scale [--quick] [--seeds N] [--timeout S] [--max-memory MB] [--out DIR] [--only A,B]
//   npx tsx bench/scale.ts --chart bench/results/scale-<date>.json [--out DIR]   # redraw the chart of a past run
//
// One seed per network by default; a run is stopped after 25 minutes (the issue allows 784-128-128-10 twenty).
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { parseArch } from '../src/network/types.js';
import { renderChart } from '../src/report/chart.js';
import {
  COLUMNS,
  fmt,
  groupRuns,
  log,
  markdownTable,
  median,
  PER_LAYER,
  RESULTS_DIR,
  runTargets,
  TRAINING_LABEL,
  type BenchOptions,
  type Run,
  type Target,
} from './common.js';

export const description = 'growing networks, 10-16-1 ... 784-256-10 and 784-128-128-10, untrained and trained on MNIST (issue 6)';

export const defaults = { seeds: 1, quickSeeds: 1, timeoutSeconds: 1500, quickTimeoutSeconds: 120, maxMemoryMb: 4096 };

const untrained = (arch: string): Target => ({ arch, training: 'untrained' });

/** Smallest first, so that a problem shows early; the trained targets last. */
const FULL: Target[] = [
  untrained('10-16-1'),
  untrained('10-20-20-1'),
  untrained('20-16-16-16-1'),
  untrained('20-16-16-16-16-1'),
  untrained('50-64-10'),
  untrained('80-40-20-1'),
  untrained('100-128-10'),
  untrained('784-32-16-10'),
  untrained('200-128-10'),
  untrained('784-128-1'),
  untrained('784-128-10'),
  untrained('784-128-128-10'),
  untrained('784-256-10'),
  { arch: '784-32-16-10', training: 'mnist' },
  { arch: '784-128-10', training: 'mnist' },
];

/** About two minutes (a run is stopped after 120 s with --quick). */
const QUICK: Target[] = [untrained('10-16-1'), untrained('10-20-20-1'), untrained('50-64-10'), untrained('100-128-10')];

// ---------------------------------------------------------------------------------------------------------------
// The issue's acceptance criteria

interface Criterion {
  arch: string;
  training: Target['training'];
  /** Complete recovery (right architecture, nothing unresolved, within 1e-6) with worst relative error ≤ this. */
  maxRelErr: number;
  maxQueries?: number;
  maxSeconds?: number;
}

const CRITERIA: Criterion[] = [
  { arch: '10-16-1', training: 'untrained', maxRelErr: 1e-12 },
  { arch: '10-20-20-1', training: 'untrained', maxRelErr: 1e-12 },
  { arch: '80-40-20-1', training: 'untrained', maxRelErr: 1e-12 },
  { arch: '784-128-1', training: 'untrained', maxRelErr: 1e-10, maxQueries: 2 ** 20, maxSeconds: 300 },
  { arch: '784-128-10', training: 'untrained', maxRelErr: 1e-10, maxQueries: 2 ** 20, maxSeconds: 300 },
  { arch: '784-128-128-10', training: 'untrained', maxRelErr: 1e-8, maxQueries: 2 ** 22, maxSeconds: 1200 },
  { arch: '784-128-10', training: 'mnist', maxRelErr: 1e-9 },
  { arch: '784-32-16-10', training: 'mnist', maxRelErr: 1e-8, maxSeconds: 120 },
];

const pow2 = (n: number) => {
  const k = Math.log2(n);
  return Number.isInteger(k) ? `2^${k}` : String(n);
};

/** A run that recovered the network completely: right architecture, nothing unresolved, no error, within 1e-6. */
const recovered = (r: Run) => r.success && r.complete && r.architectureMatches && r.unresolved === 0 && r.error === undefined;

function criteriaTable(runs: Run[]): string {
  const rows: string[][] = [];
  for (const c of CRITERIA) {
    const group = runs.filter((r) => r.arch === c.arch && r.training === c.training);
    if (group.length === 0) continue;
    const ok = group.filter(recovered).length;
    const worst = Math.max(...group.map((r) => r.worstRelErr));
    const queries = Math.max(...group.map((r) => r.queries));
    const seconds = Math.max(...group.map((r) => r.seconds));
    const need = [`complete, worst rel err ≤ ${fmt(c.maxRelErr)}`];
    const errors = [...new Set(group.map((r) => r.error).filter((e) => e !== undefined))];
    const got = [`${ok}/${group.length} complete${errors.length ? ` (${errors.join('; ')})` : ''}, worst ${Number.isFinite(worst) ? fmt(worst) : 'unknown'}`];
    let pass = ok === group.length && worst <= c.maxRelErr;
    if (c.maxQueries !== undefined) {
      need.push(`≤ ${pow2(c.maxQueries)} queries`);
      got.push(`${Number.isFinite(queries) ? queries : '?'} queries (${Number.isFinite(queries) ? `2^${Math.log2(queries).toFixed(2)}` : 'unknown'})`);
      pass &&= queries <= c.maxQueries;
    }
    if (c.maxSeconds !== undefined) {
      need.push(`< ${c.maxSeconds} s`);
      got.push(`${seconds.toFixed(0)} s`);
      pass &&= seconds < c.maxSeconds;
    }
    rows.push([c.arch, TRAINING_LABEL[c.training], need.join(', '), got.join(', '), pass ? 'yes' : '**no**']);
  }
  if (rows.length === 0) return '';
  const head = ['network', 'target', 'required (issue 6)', `measured (max over ${Math.max(...groupRuns(runs).map((g) => g.length))} seed(s))`, 'met'];
  return simpleTable(head, rows, [false, false, false, false, false]);
}

// ---------------------------------------------------------------------------------------------------------------
// Where the queries and the time go

function profileTable(runs: Run[]): string {
  const seeds = new Set(runs.map((r) => r.seed)).size;
  const rows: string[][] = [];
  for (const r of runs) {
    if (!r.profile?.length) continue;
    const q = r.profile.reduce((s, p) => s + p.queries, 0);
    const t = r.profile.reduce((s, p) => s + p.seconds, 0);
    r.profile.forEach((p, i) => {
      const name = i === 0 ? `${r.arch}${r.training === 'untrained' ? '' : ` (${TRAINING_LABEL[r.training]})`}${seeds > 1 ? `, seed ${r.seed}` : ''}` : '';
      rows.push([
        name,
        p.phase,
        String(p.queries),
        q ? `${((100 * p.queries) / q).toFixed(1)}%` : '–',
        p.seconds.toFixed(2),
        t ? `${((100 * p.seconds) / t).toFixed(1)}%` : '–',
        p.blackBoxSeconds.toFixed(2),
      ]);
    });
  }
  if (rows.length === 0) return '';
  const head = ['network', 'phase', 'queries', 'share of queries', 'seconds', 'share of time', 'of which black box (s)'];
  return simpleTable(head, rows, [false, false, true, true, true, true, true]);
}

/** A markdown table of given cells, laid out like common.ts markdownTable. */
function simpleTable(head: string[], rows: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((s, i) => (right[i] ? s.padStart(w[i]) : s.padEnd(w[i]))).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (right[i] ? `${'-'.repeat(n + 1)}:` : `${'-'.repeat(n + 2)}`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// The chart

interface Point {
  arch: string;
  target: string;
  depth: string;
  parameters: number;
  queries: number;
  seconds: number;
  /** Every seed recovered completely. */
  recovered: boolean;
  label: string;
}

function points(runs: Run[]): Point[] {
  return groupRuns(runs).map((g) => {
    const r = g[0];
    const hidden = parseArch(r.arch).length - 2;
    const ok = g.every(recovered);
    return {
      arch: r.arch,
      target: r.training === 'untrained' ? 'untrained' : TRAINING_LABEL[r.training],
      depth: `${hidden} hidden layer${hidden > 1 ? 's' : ''}`,
      parameters: r.parameters,
      queries: median(g.map((x) => x.queries)),
      seconds: median(g.map((x) => x.seconds)),
      recovered: ok,
      label: `${r.arch}${r.training === 'untrained' ? '' : ' (MNIST)'}${ok ? '' : ' ✗'}${g.some((x) => x.error?.startsWith('timed out')) ? ' (timed out)' : ''}`,
    };
  });
}

const DEPTH_COLOURS = ['#4c78a8', '#f58518', '#54a24b', '#e45756'];

type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

/** Powers of ten from below the smallest value to above the largest: the ticks and domain of a log axis. */
function decades(v: number[]): number[] {
  const lo = Math.floor(Math.log10(Math.min(...v)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...v))));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

function logAxis(field: string, title: string, v: number[], format: string) {
  const d = decades(v);
  return { field, type: 'quantitative', title, scale: { type: 'log', domain: [d[0], d[d.length - 1]] }, axis: { values: d, format, grid: true } } as const;
}

function panel(values: Point[], y: 'queries' | 'seconds', depths: string[], targets: string[]): Panel {
  const data = values.filter((p) => Number.isFinite(p[y]) && p[y] > 0 && p.parameters > 0);
  const title = y === 'queries' ? 'Queries against parameters' : 'Time against parameters';
  if (data.length === 0) return { title, width: 380, height: 300, data: { values: [] }, mark: 'point' } as Panel;
  const xs = data.map((p) => p.parameters);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const x = logAxis('parameters', 'parameters (weights and biases)', xs, '~s');
  const guides = y === 'queries' ? [10, 100].flatMap((k) => [lo, hi].map((p) => ({ parameters: p, queries: k * p, guide: `${k} queries / parameter` }))) : [];
  const yEnc = logAxis(y, y === 'queries' ? 'queries' : 'seconds (extraction)', [...data.map((p) => p[y]), ...guides.map((g) => g.queries)], y === 'queries' ? '~s' : '~g');
  const color = { field: 'depth', type: 'nominal', title: 'depth', scale: { domain: depths, range: DEPTH_COLOURS.slice(0, depths.length) } } as const;
  const shape = { field: 'target', type: 'nominal', title: 'target', scale: { domain: targets, range: ['circle', 'square', 'diamond'].slice(0, targets.length) } } as const;
  const tooltip = [{ field: 'label' }, { field: 'parameters' }, { field: 'queries' }, { field: 'seconds' }];
  const layers: unknown[] = [];
  if (guides.length > 0) {
    // Guides of slope 1: a constant number of queries per parameter.
    layers.push(
      {
        data: { values: guides },
        mark: { type: 'line', color: '#aaaaaa', strokeDash: [4, 4], strokeWidth: 1 },
        encoding: { x, y: yEnc, detail: { field: 'guide', type: 'nominal' } },
      },
      {
        data: { values: guides.filter((g) => g.parameters === hi) },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 9, color: '#888888' },
        encoding: { x, y: yEnc, text: { field: 'guide', type: 'nominal' } },
      },
    );
  }
  // Recovered networks filled, the others hollow.
  for (const ok of [true, false]) {
    const part = data.filter((p) => p.recovered === ok);
    if (part.length === 0) continue;
    layers.push({
      data: { values: part },
      mark: { type: 'point', size: 70, strokeWidth: 2, filled: ok, opacity: 1 },
      encoding: { x, y: yEnc, color, shape, tooltip },
    });
  }
  layers.push({
    data: { values: data },
    mark: { type: 'text', align: 'left', baseline: 'middle', dx: 7, fontSize: 9, color: '#333333' },
    encoding: { x, y: yEnc, text: { field: 'label', type: 'nominal' } },
  });
  return { title, width: 380, height: 300, layer: layers } as Panel;
}

export function scaleSpec(runs: Run[], subtitle: string): TopLevelSpec {
  const values = points(runs);
  const depths = [...new Set(values.map((p) => p.depth))].sort();
  const targets = [...new Set(values.map((p) => p.target))].sort((a, b) => (a === 'untrained' ? -1 : b === 'untrained' ? 1 : a.localeCompare(b)));
  const missing = values.filter((p) => !Number.isFinite(p.queries)).map((p) => p.arch);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Extraction cost as the network grows (log-log)',
      subtitle: [subtitle, `hollow, ✗: not recovered completely${missing.length ? `; no queries known (not shown left): ${missing.join(', ')}` : ''}`],
      anchor: 'start',
    },
    spacing: 24,
    resolve: { scale: { color: 'shared', shape: 'shared' }, legend: { color: 'shared', shape: 'shared' } },
    hconcat: [panel(values, 'queries', depths, targets), panel(values, 'seconds', depths, targets)],
  };
}

/** Write name.svg and name.png into dir; returns the paths. */
export async function writeScaleChart(runs: Run[], dir: string, name: string, subtitle: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const spec = scaleSpec(runs, subtitle);
  const files = ['svg', 'png'].map((ext) => join(dir, `${name}.${ext}`));
  for (const f of files) await renderChart(spec, f);
  return files;
}

// ---------------------------------------------------------------------------------------------------------------

export async function run(opts: BenchOptions): Promise<{ runs: Run[]; table: string }> {
  const runs = await runTargets(opts.quick ? QUICK : FULL, opts);
  const columns = [...COLUMNS, PER_LAYER];
  let table = markdownTable(runs, columns);
  const criteria = criteriaTable(runs);
  if (criteria) table += `\nIssue 6 acceptance criteria:\n\n${criteria}`;
  const profile = profileTable(runs);
  if (profile) {
    table +=
      '\nWhere the queries and the time go, per phase of the extraction (time from one progress event of the driver ' +
      'to the next; "black box" is the time inside the forward passes of the target):\n\n' +
      profile;
  }
  // The chart must not cost the runs: on failure it is reported and the bench goes on (main.ts writes the raw runs).
  if (runs.length === 0) return { runs, table };
  const dir = opts.outDir ?? RESULTS_DIR;
  // A partial run (--quick, --only) does not overwrite the chart of a full one.
  const name = `scale${opts.quick ? '-quick' : ''}${opts.only ? '-only' : ''}`;
  try {
    const subtitle = `${new Date().toISOString().slice(0, 10)}, ${opts.seeds} seed${opts.seeds > 1 ? 's' : ''} per network (median), extraction only (training excluded)`;
    const files = await writeScaleChart(runs, dir, name, subtitle);
    table += `\nChart: ${files.join(', ')}\n`;
  } catch (e) {
    log(`scale: could not write the chart: ${(e as Error).message}`);
    table += `\nChart: not written (${(e as Error).message})\n`;
  }
  return { runs, table };
}

/** `npx tsx bench/scale.ts --chart RAW.json [--out DIR]`: redraw the chart of the runs in a raw results file. */
async function redraw(): Promise<void> {
  const { values } = parseArgs({ options: { chart: { type: 'string' }, out: { type: 'string' } } });
  if (!values.chart) {
    process.stderr.write('usage: npx tsx bench/scale.ts --chart bench/results/scale-<date>.json [--out DIR]\n');
    process.exit(2);
  }
  // writeRaw stores Infinity and NaN as strings.
  const revive = (_k: string, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v);
  const raw = JSON.parse(readFileSync(values.chart, 'utf8'), revive) as { date: string; options: BenchOptions; runs: Run[] };
  const seeds = raw.options.seeds;
  const name = basename(values.chart).replace(/\.json$/, '');
  const subtitle = `${raw.date.slice(0, 10)}, ${seeds} seed${seeds > 1 ? 's' : ''} per network (median), extraction only (training excluded)`;
  const files = await writeScaleChart(raw.runs, values.out ?? RESULTS_DIR, name, subtitle);
  process.stdout.write(`${files.join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await redraw();
