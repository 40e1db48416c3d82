// The Vega-Lite spec of singular-value spectra by layer (as seed 004 slides 16–19): singular value
// (log scale) against its index, one line per layer and point; solid for the layer's output (after
// its ReLU; the last layer is linear), dashed before the ReLU. Only non-zero values are drawn (a log axis has no 0); the rank shows where a line ends.
import type { TopLevelSpec } from 'vega-lite';
import type { LayerSpectrum } from './stability.js';

const OUTPUT = 'layer output';
const BEFORE = 'before ReLU';

export function spectrumChartSpec(perPoint: LayerSpectrum[][], title: string): TopLevelSpec {
  const values: { layer: string; stage: string; point: number; index: number; sigma: number; series: string }[] = [];
  perPoint.forEach((spectra, point) => {
    for (const sp of spectra) {
      const layer = `layer ${sp.layer}`;
      const last = sp.layer === spectra[spectra.length - 1].layer;
      const stage = sp.stage === 'post' || last ? OUTPUT : BEFORE;
      sp.singularValues.slice(0, sp.rank).forEach((sigma, i) => {
        values.push({ layer, stage, point, index: i + 1, sigma, series: `${layer} ${stage} ${point}` });
      });
    }
  });
  const layerOrder = [...new Set(values.map((v) => v.layer))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: 380,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.4, opacity: perPoint.length > 1 ? 0.55 : 0.9 },
    encoding: {
      x: { field: 'index', type: 'quantitative', title: 'index of singular value', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'sigma', type: 'quantitative', title: 'singular value', scale: { type: 'log' }, axis: { format: '.0e' } },
      color: { field: 'layer', type: 'nominal', sort: layerOrder, title: null },
      strokeDash: { field: 'stage', type: 'nominal', sort: [OUTPUT, BEFORE], title: null },
      detail: { field: 'series', type: 'nominal' },
    },
  };
}
