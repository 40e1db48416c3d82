// The extraction report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) with the
// summary, the per-layer table, the query spend per phase (Vega-Lite chart), and, when the truth is known, the
// per-layer error after alignment and, for 2-D inputs, the linear-region map with the recovered boundaries over
// the true ones.
import { writeFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import type { ExtractResult } from '../extract/driver.js';
import { compareNetworks, type Comparison } from '../network/compare.js';
import { archString, type Network } from '../network/types.js';
import { boundaryMapSvg } from './boundary-map.js';
import { chartToSvg } from './chart.js';
import { linearRegions, type Box } from './regions.js';

export interface ReportInput {
  result: ExtractResult;
  /** The true network, when known: adds the per-layer error after alignment (and the region map for 2-D inputs). */
  truth?: Network;
  /** What was attacked (a file, URL or command), shown as given. */
  source: string;
  /** The black box's precision (float64, float32), when known. */
  precision?: string;
  /** Window of the region map for 2-D inputs (default [-3, 3]²). */
  box?: Box;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function exp(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? 'n/a' : Number.isFinite(v) ? v.toExponential(2) : String(v);
}

function fixed(v: number | undefined, digits = 2): string {
  return v === undefined || Number.isNaN(v) ? 'n/a' : Number.isFinite(v) ? v.toFixed(digits) : v > 0 ? '+∞' : '−∞';
}

/** The recovered network ends with its output layer (a partial result may hold hidden layers only). */
function hasOutputLayer(r: ExtractResult): boolean {
  return r.network !== null && r.network.layers.length === r.widths.length + 1;
}

const CSS = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.sub { color: #666; margin-top: 0; }
.status { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 0.8rem; font-weight: bold; color: white; }
.status.complete { background: #2b8a3e; } .status.partial { background: #c92a2a; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.25rem 1.2rem; }
dl.summary dt { font-weight: bold; color: #555; } dl.summary dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
td { white-space: nowrap; }
th { background: #f1f3f5; } td:first-child, th:first-child { text-align: left; }
tr.bad td { background: #fff0f0; }
.figure { margin: 0.5rem 0; overflow-x: auto; }
.note { color: #555; font-size: 0.9rem; }
ul.unresolved li { margin: 0.15rem 0; }
`;

/** Rows of the per-layer table. */
function layerTable(r: ExtractResult, cmp: Comparison | null): string {
  const net = r.network;
  const head = ['layer', 'neurons found', 'parameters', 'queries (phase)'];
  if (cmp) head.push('true width', 'matched', 'missing', 'spurious', 'log₁₀ err W', 'log₁₀ err b', 'max rel err', 'median rel err');
  const rows: string[] = [];
  const layers = net?.layers ?? [];
  const output = hasOutputLayer(r);
  layers.forEach((l, k) => {
    const isOut = output && k === layers.length - 1;
    const name = isOut ? 'output' : `${k + 1}`;
    const phase = isOut ? r.phases['output layer'] : r.phases[`layer ${k + 1}`];
    const cells = [name, String(l.outDim), String(l.W.length + l.b.length), phase === undefined ? '—' : String(phase)];
    let bad = false;
    if (cmp) {
      const c = cmp.layers.find((x) => x.layer === k + 1 && x.output === isOut);
      if (c) {
        bad = c.missing > 0 || c.spurious > 0;
        cells.push(String(c.trueWidth), String(c.matched), String(c.missing), String(c.spurious), fixed(c.logErrW), fixed(c.logErrB), exp(c.maxRelErr), exp(c.medianRelErr));
      } else {
        bad = true;
        cells.push('—', '—', '—', '—', '—', '—', '—', '—');
      }
    }
    rows.push(`<tr${bad ? ' class="bad"' : ''}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  });
  if (cmp) {
    // Truth layers the recovery did not reach.
    for (const c of cmp.layers) {
      if (c.layer > layers.length) rows.push(`<tr class="bad"><td>${c.output ? 'output' : c.layer}</td><td>0</td><td>0</td><td>—</td><td>${c.trueWidth}</td><td>0</td><td>${c.trueWidth}</td><td>0</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>`);
    }
  }
  if (rows.length === 0) rows.push(`<tr class="bad"><td colspan="${head.length}">no layer recovered</td></tr>`);
  return `<table id="layers"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The query spend per phase as a horizontal bar chart (Vega-Lite, inline SVG). */
async function phaseChart(phases: Record<string, number>): Promise<string> {
  const values = Object.entries(phases)
    .filter(([, q]) => q > 0)
    .map(([phase, queries]) => ({ phase, queries }));
  if (values.length === 0) return '<p class="note">no queries recorded per phase</p>';
  const total = values.reduce((s, v) => s + v.queries, 0);
  const withShare = values.map((v) => ({ ...v, label: `${v.queries.toLocaleString('en-US')} (${((100 * v.queries) / total).toFixed(1)}%)` }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 520,
    height: { step: 28 },
    data: { values: withShare },
    encoding: {
      y: { field: 'phase', type: 'nominal', sort: null, title: null },
      x: { field: 'queries', type: 'quantitative', title: 'queries', scale: { nice: true } },
    },
    layer: [
      { mark: { type: 'bar', color: '#3b6fd1' } },
      { mark: { type: 'text', align: 'left', dx: 4, color: '#222' }, encoding: { text: { field: 'label', type: 'nominal' } } },
    ],
    config: { view: { stroke: null } },
  };
  return chartToSvg(spec);
}

function summaryList(inp: ReportInput, cmp: Comparison | null): string {
  const r = inp.result;
  const items: [string, string][] = [];
  items.push(['black box', inp.source]);
  if (inp.precision) items.push(['precision', inp.precision]);
  const arch = r.network && hasOutputLayer(r) ? archString(r.network) : r.network ? `hidden layers only: ${r.widths.join('-')}` : 'nothing recovered';
  items.push(['architecture found', `${arch}  (depth ${r.widths.length}, hidden widths [${r.widths.join(', ')}])`]);
  const params = r.network ? r.network.layers.reduce((s, l) => s + l.W.length + l.b.length, 0) : 0;
  items.push(['parameters', String(params)]);
  items.push(['queries', `${r.queries.toLocaleString('en-US')}${params ? ` (${(r.queries / params).toFixed(1)} per parameter)` : ''}`]);
  items.push(['time', `${r.seconds.toFixed(2)} s`]);
  if (r.verificationError !== undefined) items.push(['verification error', `${exp(r.verificationError)}  (max |N̂(x) − N(x)| / max |N(x)| on fresh queries)`]);
  if (cmp) {
    items.push(['true architecture', `${cmp.trueArch} (${cmp.architectureMatches ? 'same as recovered' : 'DIFFERENT from recovered'})`]);
    items.push(['worst relative weight error', exp(cmp.worstRelErr)]);
    items.push(['functional error vs truth', exp(cmp.functionalError)]);
  }
  if (r.error) items.push(['stopped', r.error]);
  return `<dl class="summary">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** The report as an HTML document. */
export async function renderReport(inp: ReportInput): Promise<string> {
  const r = inp.result;
  let cmp: Comparison | null = null;
  let cmpNote = '';
  if (inp.truth) {
    if (!r.network || !hasOutputLayer(r)) {
      cmpNote = 'The truth was given, but the recovered network has no output layer: no comparison after alignment.';
    } else {
      try {
        cmp = compareNetworks(r.network, inp.truth);
      } catch (e) {
        cmpNote = `The truth could not be compared with the recovered network: ${(e as Error).message}.`;
      }
    }
  }
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>relurev report: ${esc(inp.source)}</title>`,
    `<style>${CSS}</style></head><body>`,
    '<h1>relurev extraction report</h1>',
    `<p class="sub">${esc(new Date().toISOString())} &middot; <span class="status ${r.complete ? 'complete' : 'partial'}">${r.complete ? 'complete' : 'partial'}</span></p>`,
    '<h2>Summary</h2>',
    summaryList(inp, cmp),
    '<h2>Per layer</h2>',
    layerTable(r, cmp),
  );
  if (cmp) {
    parts.push(
      '<p class="note">Errors after alignment (neurons normalised to unit incoming weights, scale moved to the next layer, ' +
        'Hungarian matching): log₁₀ ‖Ŵ − W‖ / ‖W‖ over matched neurons, relative error per entry against the largest entry of its true row.</p>',
    );
  } else if (cmpNote) {
    parts.push(`<p class="note">${esc(cmpNote)}</p>`);
  }
  parts.push('<h2>Queries per phase</h2>', `<div class="figure" id="phases">${await phaseChart(r.phases)}</div>`);

  const map = regionMapSection(inp);
  if (map) parts.push('<h2>Linear regions</h2>', map);

  if (r.unresolved.length > 0 || r.notes.length > 0) {
    parts.push('<h2>Unresolved and notes</h2>');
    if (r.unresolved.length) {
      parts.push(
        `<ul class="unresolved">${r.unresolved
          .map((u) => `<li>layer ${u.layer}${u.neuron !== undefined ? `, neuron ${u.neuron}` : ''}: ${esc(u.reason)}</li>`)
          .join('')}</ul>`,
      );
    }
    if (r.notes.length) parts.push(`<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  }
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}

/** The region map for 2-D inputs: the truth's with the recovered boundaries dashed over it, or the recovered alone. */
function regionMapSection(inp: ReportInput): string | null {
  const rec = inp.result.network && hasOutputLayer(inp.result) ? inp.result.network : null;
  const base = inp.truth ?? rec;
  if (!base || base.layers[0].inDim !== 2) return null;
  const box = inp.box ?? [-3, 3, -3, 3];
  try {
    const map = linearRegions(base, box, { maxRegions: 50_000 });
    const recMap = inp.truth && rec && rec.layers[0].inDim === 2 ? linearRegions(rec, box, { maxRegions: 50_000 }) : undefined;
    const title = inp.truth ? (recMap ? 'true boundaries (solid) and recovered ones (dashed)' : 'true boundaries') : 'recovered boundaries';
    return `<div class="figure" id="region-map">${boundaryMapSvg(map, { size: 640, recovered: recMap, title, idPrefix: 'report-map' })}</div>`;
  } catch (e) {
    return `<p class="note">No region map: ${esc((e as Error).message)}</p>`;
  }
}

/** Write the report to path (one self-contained HTML file). */
export async function writeReport(path: string, inp: ReportInput): Promise<void> {
  writeFileSync(path, await renderReport(inp));
}
