// renderChart: a Vega-Lite spec to SVG or PNG, headless.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TopLevelSpec } from 'vega-lite';
import { chartFormat, chartToSvg, renderChart } from '../src/report/chart.js';

const spec: TopLevelSpec = {
  title: 'Test chart',
  width: 200,
  height: 100,
  data: { values: [{ a: 1, b: 2 }, { a: 2, b: 5 }, { a: 3, b: 3 }] },
  mark: 'bar',
  encoding: { x: { field: 'a', type: 'ordinal' }, y: { field: 'b', type: 'quantitative' } },
};

test('chartFormat follows the extension', () => {
  assert.equal(chartFormat('out/a.svg'), 'svg');
  assert.equal(chartFormat('A.PNG'), 'png');
  assert.equal(chartFormat('a.pdf'), undefined);
  assert.equal(chartFormat('svg'), undefined);
});

test('SVG: the title, one rect per bar, on a white background', async () => {
  const svg = await chartToSvg(spec);
  assert.ok(svg.startsWith('<svg'));
  assert.match(svg, /Test chart/);
  // Three bars (marks of the 'bar' role) with heights proportional to 2 : 5 : 3.
  const bars = [...svg.matchAll(/<path[^>]*aria-roledescription="bar"[^>]*d="M[\d.]+,([\d.]+)h[\d.]+v([\d.]+)/g)].map((m) => Number(m[2]));
  assert.equal(bars.length, 3);
  assert.ok(Math.abs(bars[1] / bars[0] - 2.5) < 1e-6 && Math.abs(bars[2] / bars[0] - 1.5) < 1e-6, `bar heights ${bars}`);
  assert.match(svg, /fill="white"/);
});

test('renderChart writes .svg and .png (2× pixels), and refuses other extensions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relurev-chart-'));
  await renderChart(spec, join(dir, 'c.svg'));
  const svg = readFileSync(join(dir, 'c.svg'), 'utf8');
  const width = Number(/^<svg[^>]*width="(\d+)"/.exec(svg)![1]);
  await renderChart(spec, join(dir, 'c.png'));
  const png = readFileSync(join(dir, 'c.png'));
  assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(png.readUInt32BE(16), 2 * width); // IHDR width
  await assert.rejects(renderChart(spec, join(dir, 'c.pdf')), /\.svg or \.png/);
});
