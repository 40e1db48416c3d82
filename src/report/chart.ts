// Charts for every command and bench: a Vega-Lite spec rendered headless (vega's `renderer: 'none'`
// needs no canvas) to SVG, or to PNG through resvg. Usage:
//   await renderChart({ data: { values }, mark: 'line', encoding: { ... } }, 'out.svg');
// The format follows the extension (.svg or .png). Text uses the system fonts (DejaVu Sans when the
// spec names none), so a PNG looks like its SVG.
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartFormat = 'svg' | 'png';

/** The chart format for an output path, or undefined when the extension is neither .svg nor .png. */
export function chartFormat(outPath: string): ChartFormat | undefined {
  const ext = extname(outPath).toLowerCase();
  return ext === '.svg' ? 'svg' : ext === '.png' ? 'png' : undefined;
}

const FONT = 'DejaVu Sans';

/** The spec as an SVG document (white background unless the spec sets one). */
export async function chartToSvg(spec: TopLevelSpec): Promise<string> {
  const withFont: TopLevelSpec = { background: 'white', ...spec, config: { font: FONT, ...spec.config } };
  const view = new vega.View(vega.parse(compile(withFont).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG text to PNG bytes; `scale` multiplies the pixel size (2 = sharp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: FONT }, fitTo: { mode: 'zoom', value: scale } });
  return resvg.render().asPng();
}

/** Render the spec to outPath (.svg or .png, by extension). Throws on any other extension. */
export async function renderChart(spec: TopLevelSpec, outPath: string, opts: { scale?: number } = {}): Promise<void> {
  const format = chartFormat(outPath);
  if (!format) throw new Error(`cannot tell the chart format of ${outPath}: use a .svg or .png file name`);
  const svg = await chartToSvg(spec);
  writeFileSync(outPath, format === 'svg' ? svg : svgToPng(svg, opts.scale));
}
