// A neuron of the last hidden layer that never switches off where the black box is queried: its boundary is crossed
// by (almost) no search line, so no walk ever starts on it, yet it shapes the output. Where it is on,
// V_j·ReLU(w_j·a + b_j) = V_j·(w_j·a + b_j) is affine in the previous layer's activations a, and the output's affine
// residue gives its direction w (residue.ts). The bias is where the neuron does switch: where w·a is lowest among
// many inputs chosen without queries, at the input scale and zoomed out. A kink there that no known neuron explains
// gives b = −w·a(x); the candidate row is accepted only if its predicted boundary holds kinks elsewhere too
// (test-boundary.ts), then refined like every deeper row (refine-deeper.ts).
import { findKinks } from '../geometry/kinks.js';
import { KnownLayers } from '../geometry/known.js';
import type { Layer } from '../network/types.js';
import type { ExtractContext } from './context.js';
import type { Row } from './first-layer.js';
import type { RowEstimate } from './layer-solve.js';
import { refineDeeperRows } from './refine-deeper.js';
import type { ResidueSamples } from './residue.js';
import { randomPoints } from './samples.js';
import { extremeInput } from './meeting-point.js';
import { BOUNDARY_TESTS, boundaryHits, passes } from './test-boundary.js';

/**
 * Where its switching point is searched: POOL inputs at each zoom, chosen without queries. The neuron is off exactly
 * where sign·w·a < −b, so if any of them is off in the black box, the one with the lowest sign·w·a is.
 */
const SEARCH = { zooms: [1, 4, 16, 64, 256], pool: 2048 };

/**
 * The row of the always-on neuron with direction `w` (over the last hidden layer's inputs, unit norm) that the
 * residue at `samples` showed. `biasKnown` is false when it never switched where searched: its bias is then a
 * placeholder that keeps it on at every input searched. `hidden` are the recovered hidden layers (signs applied).
 */
export async function alwaysOnRow(ctx: ExtractContext, hidden: Layer[], w: Float64Array, samples: ResidueSamples): Promise<{ row: Row; biasKnown: boolean }> {
  const before = new KnownLayers(hidden.slice(0, -1));
  const all = new KnownLayers(hidden);
  const d = w.length;
  const { row, range } = await switchingRow(ctx, before, all, w, samples);
  if (row) {
    const [refined] = await refineDeeperRows(ctx, before, new Int8Array(d).fill(1), [row]);
    return { row: { w: refined.w, b: refined.b }, biasKnown: true };
  }
  // No switching point where searched: on everywhere the black box can reasonably be asked, the neuron is affine
  // there and its bias is not identifiable (any bias that keeps it on gives the same function). Keep its direction,
  // with a bias that keeps it on at every input searched by one spread of w·a.
  const [lo, hi] = range;
  return { row: { w, b: -lo + (hi - lo) }, biasKnown: false };
}

/**
 * The row sign·(w, b) of the neuron with direction w: per zoom of SEARCH and per sign, the line from the pool input
 * with the highest sign·w·a to the one with the lowest is searched for kinks; one that no known neuron explains gives
 * the bias, and the row must pass TestHyperplane's analogue elsewhere. Last, per sign, the line from the highest to
 * the lowest sign·w·a over the whole box the extraction reaches (a MIP over the known layers, no queries): a neuron
 * that switches only in a corner no sample falls in (10-8-8-8-8-2 seed 2: a layer-4 neuron on for 99.9% of inputs at
 * every zoom) switches there if anywhere. Else null, with the range of w·a over the samples and every input searched.
 */
async function switchingRow(
  ctx: ExtractContext,
  before: KnownLayers,
  all: KnownLayers,
  w: Float64Array,
  samples: ResidueSamples,
): Promise<{ row: RowEstimate | null; range: [number, number] }> {
  const n = ctx.oracle.inputDim;
  const d = w.length;
  const wa = (acts: Float64Array, m: number) => Array.from({ length: m }, (_, r) => w.reduce((t, wi, i) => t + wi * acts[r * d + i], 0));
  const seen = wa(samples.acts, samples.m);
  const range: [number, number] = [Math.min(...seen), Math.max(...seen)];
  const ones = new Int8Array(d).fill(1);
  /** The row found on the segment from → to (tested at `zoom`), or null. */
  const onLine = async (from: Float64Array, to: Float64Array, sign: number, zoom: number): Promise<RowEstimate | null> => {
    const line = { origin: Float64Array.from(from), dir: Float64Array.from(to, (v, i) => v - from[i]), t0: 0, t1: 1 };
    const kinks = await findKinks(ctx.oracle, [line], { tol: ctx.tol });
    const rows = kinks
      .filter((k) => all.nearestBoundary(k.x).distance >= ctx.tol.onKnown * (1 + Math.hypot(...k.x)))
      .map((k) => {
        const a = before.activations(k.x, 1);
        const b = -w.reduce((t, wi, i) => t + wi * a[i], 0);
        return { w: Float64Array.from(w, (v) => sign * v), b: sign * b, undetermined: [], consistency: 0 };
      });
    if (rows.length === 0) return null;
    // Tested where it was found: nearer in, a neuron on for 100% of inputs up to ×16 is never crossed.
    const hits = await boundaryHits(ctx, before, ones, rows, BOUNDARY_TESTS, { zooms: [zoom] });
    const best = hits.findIndex(passes);
    return best >= 0 ? rows[best] : null;
  };
  const sampling = { ...ctx, rng: ctx.sampleRng ?? ctx.rng };
  for (const zoom of SEARCH.zooms) {
    const xs = randomPoints(sampling, SEARCH.pool, zoom);
    const acts = before.activations(xs, SEARCH.pool);
    const p = wa(acts, SEARCH.pool);
    range[0] = Math.min(range[0], ...p);
    range[1] = Math.max(range[1], ...p);
    for (const sign of [1, -1]) {
      let lo = 0;
      let hi = 0;
      for (let r = 1; r < p.length; r++) {
        if (sign * p[r] < sign * p[lo]) lo = r;
        if (sign * p[r] > sign * p[hi]) hi = r;
      }
      const row = await onLine(xs.subarray(hi * n, (hi + 1) * n), xs.subarray(lo * n, (lo + 1) * n), sign, zoom);
      if (row) return { row, range };
    }
  }
  // float64 only, as meeting points (deeper-layer.ts): the box's extremes are exact only for exact layers.
  for (const sign of ctx.tol.precision === 'float64' ? [1, -1] : []) {
    const lo = await extremeInput(ctx, before, w, sign, 'min');
    const hi = await extremeInput(ctx, before, w, sign, 'max');
    if (!lo || !hi) continue;
    const zoom = Math.max(1, Math.max(...lo.map(Math.abs)) / ctx.scale);
    const row = await onLine(hi, lo, sign, zoom);
    if (row) return { row, range };
  }
  return { row: null, range };
}
