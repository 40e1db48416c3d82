// Inputs for the fits and the verification (no queries here): along random search lines, at the input scale and
// zoomed out, where a deeper neuron that (almost) never changes state near the origin does.
import { forward } from '../network/forward.js';
import type { Layer, Network } from '../network/types.js';
import { randomLines } from './boundary-points.js';
import type { ExtractContext } from './context.js';

/** Zooms of the zoomed-out samples, and of the lines searched for deeper points beyond the first layer's own search. */
export const ZOOMS = [4, 16];

/** Sample points where the boundaries were searched: uniformly along random search lines (boundary-points.ts). */
export function randomPoints(ctx: ExtractContext, m: number, zoom = 1): Float64Array {
  const n = ctx.oracle.inputDim;
  const xs = new Float64Array(m * n);
  randomLines(ctx, m, zoom).forEach((ln, s) => {
    const t = ln.t0 + (ln.t1 - ln.t0) * ctx.rng.uniform();
    for (let i = 0; i < n; i++) xs[s * n + i] = ln.origin[i] + t * ln.dir[i];
  });
  return xs;
}

/**
 * m random inputs, half at the input scale and half zoomed out (ZOOMS): a neuron that (almost) never changes state
 * near the origin changes state there, so fits see both its states and verification sees its effect.
 */
export function mixedPoints(search: ExtractContext, m: number): Float64Array {
  const ctx = { ...search, rng: search.sampleRng ?? search.rng };
  const near = m - ZOOMS.length * Math.floor(m / 2 / ZOOMS.length);
  const far = (m - near) / ZOOMS.length;
  const xs = new Float64Array(m * ctx.oracle.inputDim);
  xs.set(randomPoints(ctx, near));
  ZOOMS.forEach((z, i) => xs.set(randomPoints(ctx, far, z), (near + i * far) * ctx.oracle.inputDim));
  return xs;
}

/** Zooms searched for output-fit inputs on a last-layer neuron's rare side, and the inputs wanted on each side. */
const SIDES = { zooms: [16, 64, 256], rounds: 4, batch: 1024, each: 8 };

/**
 * The output fit's inputs `xs` (m of them), plus inputs that put every last-layer neuron on both sides of its boundary
 * SIDES.each times at least, chosen from the recovered layers without queries: a neuron (almost) never on where the
 * mixed points fall leaves its sign to chance (trained 10-12-10-2 seed 10: a layer-2 neuron on for 0.05% of inputs at
 * ×16, found from far misfits, then its sign "ambiguous" and the network 2.0 off).
 */
export function withBothSides(ctx: ExtractContext, hidden: Layer[], xs: Float64Array, m: number): Float64Array {
  const n = ctx.oracle.inputDim;
  const net: Network = { activation: 'relu', layers: hidden };
  const H = hidden[hidden.length - 1].outDim;
  const on = new Array<number>(H).fill(0);
  const off = new Array<number>(H).fill(0);
  const tally = (z: Float64Array, p: number) => {
    for (let j = 0; j < H; j++) if (z[p * H + j] > 0) on[j]++;
    else off[j]++;
  };
  const z0 = forward(net, xs, m);
  for (let p = 0; p < m; p++) tally(z0, p);
  const wanting = () => on.some((c, j) => c < SIDES.each || off[j] < SIDES.each);
  const sampling = { ...ctx, rng: ctx.sampleRng ?? ctx.rng };
  const extra: Float64Array[] = [];
  for (const zoom of SIDES.zooms) {
    for (let round = 0; round < SIDES.rounds && wanting(); round++) {
      const cand = randomPoints(sampling, SIDES.batch, zoom);
      const z = forward(net, cand, SIDES.batch);
      for (let p = 0; p < SIDES.batch; p++) {
        const useful = on.some((c, j) => (z[p * H + j] > 0 ? c : off[j]) < SIDES.each);
        if (!useful) continue;
        tally(z, p);
        extra.push(cand.slice(p * n, (p + 1) * n));
      }
    }
  }
  if (extra.length === 0) return xs;
  const all = new Float64Array((m + extra.length) * n);
  all.set(xs);
  extra.forEach((x, i) => all.set(x, (m + i) * n));
  return all;
}
