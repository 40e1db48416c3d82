// The linear-region map of a 2-D-input network as SVG (seed 001 Figure 1, right): every region filled by its
// gradient ∂N/∂x₁ (green ramp), every neuron's boundary drawn as its exact segments, one colour per layer; a
// recovered network's boundaries optionally drawn dashed over the truth's. Geometry, not a chart: hand-built
// polygons and lines. PNG through resvg (the same renderer as the charts).
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { svgToPng } from './chart.js';
import { gradientX1, type RegionMap } from './regions.js';

export interface BoundaryMapOptions {
  /** Width of the picture in pixels (default 800); the height follows the box's aspect ratio plus the legend. */
  size?: number;
  /** Boundaries of a recovered network, drawn dashed over the map's own. */
  recovered?: RegionMap;
  /** Output whose gradient shades the regions (default 0). */
  output?: number;
  /** Line above the map. */
  title?: string;
  /** Prefix for the SVG ids (several maps in one HTML page need distinct ones). */
  idPrefix?: string;
}

/** Boundary colours per hidden layer (layer 1 blue, layer 2 red as in the paper, then more). */
export const LAYER_COLOURS = ['#1f5fd6', '#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
/** Darker variants for the recovered network's dashed boundaries. */
const RECOVERED_COLOURS = ['#0a1f5c', '#5e0a0a', '#7a3a00', '#3b2161', '#3b231d', '#6e1f57', '#0a5560', '#262626'];
/** ColorBrewer "Greens", light to dark. */
const GREENS = ['#f7fcf5', '#e5f5e0', '#c7e9c0', '#a1d99b', '#74c476', '#41ab5d', '#238b45', '#006d2c', '#00441b'];

function layerColour(layer: number, recovered: boolean): string {
  const palette = recovered ? RECOVERED_COLOURS : LAYER_COLOURS;
  return palette[(layer - 1) % palette.length];
}

function hex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** The green ramp at t in [0, 1]. */
export function greenRamp(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (GREENS.length - 1);
  const i = Math.min(GREENS.length - 2, Math.floor(u));
  const f = u - i;
  const a = hex(GREENS[i]);
  const b = hex(GREENS[i + 1]);
  const mix = a.map((v, k) => Math.round(v + f * (b[k] - v)));
  return `#${mix.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Short human number for the legend. */
function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(2) : v.toPrecision(3);
}

const TITLE_HEIGHT = 28;
/** Height of each further row of the legend. */
const LEGEND_ROW = 20;

/** Width of text in DejaVu Sans at this font size, roughly (average advance of these labels ≈ 0.55 em). */
function textWidth(text: string, fontSize: number): number {
  return Math.ceil([...text].length * 0.55 * fontSize);
}

interface LegendEntry {
  label: string;
  /** Hidden layer (1-based) of a boundary sample; undefined for the recovered-network entry. */
  layer?: number;
  x: number;
  /** Baseline, from the bottom edge of the map. */
  y: number;
}

/** The legend under the map; every y is a text baseline measured from the bottom edge of the map. */
interface LegendLayout {
  entries: LegendEntry[];
  ramp: { x: number; y: number; w: number };
  box: { y: number; text: string };
  height: number;
}

/**
 * Where the legend's parts go: one sample line per layer and one for the recovered network, flowing left to right
 * in rows that stop short of the shading ramp on the right (or, on a picture too narrow for both, the ramp on a row
 * of its own below them); then the line naming the box.
 */
function legendLayout(map: RegionMap, opts: { size?: number; recovered?: RegionMap }): LegendLayout {
  const width = Math.round(opts.size ?? 800);
  const rampW = Math.min(220, Math.max(100, width / 4), width - 20);
  const layers = Math.max(map.widths.length, opts.recovered?.widths.length ?? 0);
  const items: { label: string; layer?: number; w: number }[] = [];
  for (let k = 1; k <= layers; k++) items.push({ label: `layer ${k}`, layer: k, w: 30 + textWidth(`layer ${k}`, 12) });
  if (opts.recovered) items.push({ label: 'recovered', w: 30 + textWidth('recovered', 12) });
  const rampX = width - rampW - 10;
  const widest = Math.max(0, ...items.map((i) => i.w));
  const rampBeside = 10 + widest <= rampX - 16;
  const right = rampBeside ? rampX - 16 : width - 10;
  const entries: LegendEntry[] = [];
  let x = 10;
  let row = 0;
  for (const item of items) {
    if (x > 10 && x + item.w > right) {
      row++;
      x = 10;
    }
    entries.push({ label: item.label, layer: item.layer, x, y: 22 + row * LEGEND_ROW });
    x += item.w + 20;
  }
  const lastRow = 22 + row * LEGEND_ROW;
  const [x0, x1, y0, y1] = map.box;
  const full = `x₁ ∈ [${num(x0)}, ${num(x1)}], x₂ ∈ [${num(y0)}, ${num(y1)}]; ${map.regions.length} regions`;
  const text = 10 + textWidth(full, 11) <= width - 10 ? full : `${map.regions.length} regions`;
  let ramp: LegendLayout['ramp'];
  let boxY: number;
  if (rampBeside) {
    ramp = { x: rampX, y: 22, w: rampW };
    // Under the last row of entries, or lower where it would run into the ramp's numbers (baseline 42).
    boxY = lastRow + 24;
    if (boxY < 42 + 14 && 10 + textWidth(text, 11) > rampX - 10) boxY = 42 + 24;
  } else {
    ramp = { x: 10, y: lastRow + 36, w: rampW };
    boxY = ramp.y + 38;
  }
  // One row beside the ramp: 22 + 24 + 18 = 64 pixels.
  return { entries, ramp, box: { y: boxY, text }, height: boxY + 18 };
}

/** Pixel size of the map for a given width: [width, height] (the legend grows by a row where its entries need one). */
export function boundaryMapSize(map: RegionMap, opts: { size?: number; title?: string; recovered?: RegionMap } = {}): [number, number] {
  const width = Math.round(opts.size ?? 800);
  const [x0, x1, y0, y1] = map.box;
  const plotH = Math.round((width * (y1 - y0)) / (x1 - x0));
  return [width, plotH + legendLayout(map, opts).height + (opts.title ? TITLE_HEIGHT : 0)];
}

/** The map as an SVG document. */
export function boundaryMapSvg(map: RegionMap, opts: BoundaryMapOptions = {}): string {
  const output = opts.output ?? 0;
  if (!Number.isInteger(output) || output < 0 || output >= map.outputDim) {
    throw new RangeError(`output ${output} does not exist: the network has ${map.outputDim} output(s)`);
  }
  const id = opts.idPrefix ?? 'bmap';
  const [width, height] = boundaryMapSize(map, opts);
  const legend = legendLayout(map, opts);
  const top = opts.title ? TITLE_HEIGHT : 0;
  const [x0, x1, y0, y1] = map.box;
  const plotW = width;
  const plotH = height - legend.height - top;
  const px = (x: number) => ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => top + ((y1 - y) / (y1 - y0)) * plotH;
  const pt = (p: [number, number]) => `${px(p[0]).toFixed(2)},${py(p[1]).toFixed(2)}`;

  const grads = map.regions.map((r) => gradientX1(r, output));
  const gmin = grads.reduce((a, g) => Math.min(a, g), Infinity);
  const gmax = grads.reduce((a, g) => Math.max(a, g), -Infinity);
  const shade = (g: number) => greenRamp(gmax > gmin ? (g - gmin) / (gmax - gmin) : 0.5);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<defs><clipPath id="${id}-clip"><rect x="0" y="${top}" width="${plotW}" height="${plotH}"/></clipPath></defs>`,
  );
  if (opts.title) parts.push(`<text x="8" y="19" font-size="15" fill="#222">${esc(opts.title)}</text>`);
  parts.push(`<g clip-path="url(#${id}-clip)">`);
  // Regions: the stroke in the fill colour hides hairline seams between neighbours.
  map.regions.forEach((r, i) => {
    const c = shade(grads[i]);
    parts.push(`<polygon points="${r.polygon.map(pt).join(' ')}" fill="${c}" stroke="${c}" stroke-width="0.6"/>`);
  });
  const overlay = opts.recovered !== undefined;
  for (const s of map.segments) {
    const attrs = overlay ? 'stroke-width="4" stroke-opacity="0.45"' : 'stroke-width="2"';
    parts.push(`<line x1="${px(s.a[0]).toFixed(2)}" y1="${py(s.a[1]).toFixed(2)}" x2="${px(s.b[0]).toFixed(2)}" y2="${py(s.b[1]).toFixed(2)}" stroke="${layerColour(s.layer, false)}" ${attrs} stroke-linecap="round"/>`);
  }
  for (const s of opts.recovered?.segments ?? []) {
    parts.push(`<line x1="${px(s.a[0]).toFixed(2)}" y1="${py(s.a[1]).toFixed(2)}" x2="${px(s.b[0]).toFixed(2)}" y2="${py(s.b[1]).toFixed(2)}" stroke="${layerColour(s.layer, true)}" stroke-width="1.6" stroke-dasharray="6 4"/>`);
  }
  parts.push('</g>');
  parts.push(`<rect x="0.5" y="${top + 0.5}" width="${plotW - 1}" height="${plotH - 1}" fill="none" stroke="#444" stroke-width="1"/>`);

  // Legend: one sample line per layer (and the recovered style), the shading's range, the box.
  const base = top + plotH;
  for (const e of legend.entries) {
    const y = base + e.y;
    const stroke = e.layer !== undefined ? `stroke="${layerColour(e.layer, false)}" stroke-width="3"` : 'stroke="#222" stroke-width="1.6" stroke-dasharray="6 4"';
    parts.push(`<line x1="${e.x}" y1="${y - 4}" x2="${e.x + 24}" y2="${y - 4}" ${stroke}/>`);
    parts.push(`<text x="${e.x + 30}" y="${y}" font-size="12" fill="#222">${esc(e.label)}</text>`);
  }
  const { x: rx, w: rampW } = legend.ramp;
  const ry = base + legend.ramp.y;
  parts.push(`<defs><linearGradient id="${id}-ramp" x1="0" x2="1" y1="0" y2="0">`);
  GREENS.forEach((c, i) => parts.push(`<stop offset="${(i / (GREENS.length - 1)).toFixed(3)}" stop-color="${c}"/>`));
  parts.push('</linearGradient></defs>');
  const outName = map.outputDim > 1 ? `∂N${subscript(output + 1)}/∂x₁` : '∂N/∂x₁';
  parts.push(`<text x="${rx}" y="${ry - 10}" font-size="12" fill="#222">${outName}</text>`);
  parts.push(`<rect x="${rx}" y="${ry - 4}" width="${rampW}" height="10" fill="url(#${id}-ramp)" stroke="#888" stroke-width="0.5"/>`);
  parts.push(`<text x="${rx}" y="${ry + 20}" font-size="11" fill="#222">${esc(fmt(gmin))}</text>`);
  parts.push(`<text x="${rx + rampW}" y="${ry + 20}" font-size="11" fill="#222" text-anchor="end">${esc(fmt(gmax))}</text>`);
  parts.push(`<text x="10" y="${base + legend.box.y}" font-size="11" fill="#555">${esc(legend.box.text)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function subscript(n: number): string {
  return String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
}

/** Write the map to outPath: .svg as text, .png rendered at the map's own pixel size. */
export function writeBoundaryMap(outPath: string, map: RegionMap, opts: BoundaryMapOptions = {}): void {
  const ext = extname(outPath).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new Error(`cannot tell the image format of ${outPath}: use a .svg or .png file name`);
  const svg = boundaryMapSvg(map, opts);
  writeFileSync(outPath, ext === '.svg' ? svg : svgToPng(svg, 1));
}
