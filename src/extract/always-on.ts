// Neurons of the last hidden layer that (almost) never switch off where the black box is queried. Their boundary
// is crossed by (almost) no search line, so no walk ever starts on it, yet they shape the output: where neuron j is
// on, V_j·ReLU(w_j·a + b_j) = V_j·(w_j·a + b_j) is affine in the previous layer's activations a. So fitting
//     N(x) ≈ V·ReLU(W_L a + b_L) + U·a + c
// with the neurons found (signs applied) leaves U = Σ_missing V_j w_jᵀ (as in the sign fit of output-layer.ts). When
// U has rank one (one missing neuron), its right singular vector is the missing row's direction w. The bias is
// where the neuron does switch: beyond the sampled points, in the direction in which w·a decreases. A kink there
// that no known neuron explains gives b = −w·a(x); the candidate row is accepted only if its predicted boundary
// holds kinks elsewhere too (test-boundary.ts), then refined like every deeper row (refine-deeper.ts).
// The same fit, with the affine block on only some activations, completes rows whose boundaries left weights
// undetermined (completeFromOutput).
import { Matrix } from 'ml-matrix';
import { findKinks } from '../geometry/kinks.js';
import { KnownLayers } from '../geometry/known.js';
import { lstsqSvd, svd } from '../linalg/solve.js';
import type { Layer } from '../network/types.js';
import type { ExtractContext } from './context.js';
import type { Row } from './first-layer.js';
import type { RowEstimate } from './layer-solve.js';
import { refineDeeperRows } from './refine-deeper.js';
import { BOUNDARY_TESTS, boundaryHits, passes } from './test-boundary.js';

/** Where, beyond the sample with the lowest w·a, its switching point is searched (multiples of its offset), in turn. */
const REACHES = [
  [1, 8],
  [8, 64],
  [64, 512],
];

/**
 * The row (over the last hidden layer's inputs, unit weights) of a missing last-layer neuron that is on at every
 * sample point, or null when the output's residue does not show exactly one. `biasKnown` is false when it never
 * switched within reach: its bias is then a placeholder. `hidden` are the recovered hidden layers (signs applied),
 * `sample(m)` m fresh input points where the network is used.
 */
export async function alwaysOnNeuron(ctx: ExtractContext, hidden: Layer[], sample: (m: number) => Float64Array): Promise<{ row: Row; biasKnown: boolean } | null> {
  if (hidden.length < 2) return null;
  const before = new KnownLayers(hidden.slice(0, -1));
  const all = new KnownLayers(hidden);
  const last = hidden[hidden.length - 1];
  const d = last.inDim;
  const nL = last.outDim;
  const fit = await affineFit(ctx, hidden, sample, Array.from({ length: d }, (_, i) => i));
  // Not explained even with an affine part: something else is wrong (a missing neuron that does switch, a wrong or
  // partial row), not this case.
  if (!fit) return null;
  const { U, acts, xs } = fit;
  const m = xs.length / ctx.oracle.inputDim;
  const { s, V } = svd(U);
  // One direction only: with several, U mixes missing neurons with known ones whose sign is wrong (ReLU(−u) =
  // ReLU(u) − u leaves −V_h ŵ_h in U too), and its singular vectors are combinations of rows, not rows.
  if (s.filter((v) => v > 1e-6 * s[0]).length !== 1) return null;
  const w = Float64Array.from(V.getColumn(0));
  for (let j = 0; j < nL; j++) {
    const row = last.W.subarray(j * d, (j + 1) * d);
    if (Math.abs(row.reduce((t, v, i) => t + v * w[i], 0)) > (1 - 1e-6) * Math.hypot(...row)) return null;
  }

  const p = Array.from({ length: m }, (_, r) => w.reduce((t, wi, i) => t + wi * acts[r * d + i], 0));
  const found = await switchingRow(ctx, before, all, w, p, xs);
  if (found) {
    const [refined] = await refineDeeperRows(ctx, before, new Int8Array(d).fill(1), [found]);
    return { row: { w: refined.w, b: refined.b }, biasKnown: true };
  }
  // No switching point within REACHES: on everywhere the black box can reasonably be asked, the neuron is affine
  // there and its bias is not identifiable (any bias that keeps it on gives the same function). Keep its direction,
  // with a bias that keeps it on at every sample by one spread of w·a.
  const lo = Math.min(...p);
  const hi = Math.max(...p);
  return { row: { w, b: -lo + (hi - lo) }, biasKnown: false };
}

/**
 * The row sign·(w, b) whose switching point lies beyond the samples: searched for on the line from the sample with
 * the highest sign·w·a through the one with the lowest, farther out in turn (REACHES); a kink there that no known
 * neuron explains gives the bias, and the row must pass TestHyperplane's analogue elsewhere.
 */
async function switchingRow(ctx: ExtractContext, before: KnownLayers, all: KnownLayers, w: Float64Array, p: number[], xs: Float64Array): Promise<RowEstimate | null> {
  const n = ctx.oracle.inputDim;
  const ones = new Int8Array(w.length).fill(1);
  // Per sign: the samples where sign·w·a is highest and lowest.
  const ends = [1, -1].map((sign) => {
    let lo = 0;
    let hi = 0;
    for (let r = 1; r < p.length; r++) {
      if (sign * p[r] < sign * p[lo]) lo = r;
      if (sign * p[r] > sign * p[hi]) hi = r;
    }
    return { sign, from: xs.subarray(hi * n, (hi + 1) * n), to: xs.subarray(lo * n, (lo + 1) * n) };
  });
  for (const [t0, t1] of REACHES) {
    for (const { sign, from, to } of ends) {
      const line = { origin: Float64Array.from(from), dir: Float64Array.from(to, (v, i) => v - from[i]), t0, t1 };
      const kinks = await findKinks(ctx.oracle, [line], { tol: ctx.tol });
      const rows = kinks
        .filter((k) => all.nearestBoundary(k.x).distance >= ctx.tol.onKnown * (1 + Math.hypot(...k.x)))
        .map((k) => {
          const a = before.activations(k.x, 1);
          const b = -w.reduce((t, wi, i) => t + wi * a[i], 0);
          return { w: Float64Array.from(w, (v) => sign * v), b: sign * b, undetermined: [], consistency: 0 };
        });
      if (rows.length === 0) continue;
      const hits = await boundaryHits(ctx, before, ones, rows, BOUNDARY_TESTS);
      const best = hits.findIndex(passes);
      if (best >= 0) return rows[best];
    }
  }
  return null;
}

/**
 * Largest relative misfit of the affine-residue fit that still counts as exact, per precision: float32 answers carry
 * ~5e-6 of rounding each (tolerances.ts), so float64's threshold would refuse every fit; 1e-4 leaves a margin of 20
 * (not tuned further).
 */
const FIT_MISFIT = { float64: 1e-8, float32: 1e-4 };

/**
 * N ≈ [ReLU(W_L a + b_L) | a_cols | 1]·θ on fresh samples, jointly: the last hidden layer's neurons (signs applied)
 * take their part, the affine block on the previous layer's activations `cols` what the neurons do not explain. U
 * (outputs × cols) is that block; `V` (outputs × neurons) the neurons' output weights. Null when even this model
 * leaves a misfit above the black box's precision.
 */
async function affineFit(
  ctx: ExtractContext,
  hidden: Layer[],
  sample: (m: number) => Float64Array,
  cols: number[],
): Promise<{ U: Matrix; V: Matrix; acts: Float64Array; xs: Float64Array } | null> {
  const before = new KnownLayers(hidden.slice(0, -1));
  const all = new KnownLayers(hidden);
  const last = hidden[hidden.length - 1];
  const d = last.inDim;
  const nL = last.outDim;
  const nOut = ctx.oracle.outputDim;
  const m = 2 * (nL + d + 1) + 32;
  const xs = sample(m);
  const ys = await ctx.oracle.query(xs, m);
  const acts = before.activations(xs, m);
  const feats = all.activations(xs, m);
  const F = new Matrix(m, nL + cols.length + 1);
  const Y = new Matrix(m, nOut);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < nL; j++) F.set(r, j, feats[r * nL + j]);
    cols.forEach((i, c) => F.set(r, nL + c, acts[r * d + i]));
    F.set(r, nL + cols.length, 1);
    for (let o = 0; o < nOut; o++) Y.set(r, o, ys[r * nOut + o]);
  }
  const theta = lstsqSvd(F, Y, 1e-13).x;
  const misfit = F.mmul(theta).sub(Y).norm('frobenius') / (Y.norm('frobenius') || 1);
  if (!(misfit < FIT_MISFIT[ctx.tol.precision])) return null;
  const U = new Matrix(nOut, cols.length);
  for (let o = 0; o < nOut; o++) cols.forEach((_, c) => U.set(o, c, theta.get(nL + c, o)));
  const V = new Matrix(nOut, nL);
  for (let o = 0; o < nOut; o++) for (let j = 0; j < nL; j++) V.set(o, j, theta.get(j, o));
  return { U, V, acts, xs };
}

/**
 * Weights of last-layer rows that the boundary never determined (`undetermined[j]`: layer-(L−1) neurons never
 * active where B_j was explored), from the output instead (seed 001 §5 leaves them open; the output does not). Where
 * such a neuron h is active, B_j is not crossed: row j is on there (or its weight does not matter), so the true term
 * V_j·ReLU(w_j·a + b_j + Δ_h a_h) differs from the recovered one by V_j·Δ_h·a_h, affine in a_h. Fitting the output
 * with an affine block on the undetermined a_h gives U[:, h] = Σ_{j ∋ h} V_j Δ_jh: one small least-squares system per
 * h. Returns the completed rows (null when the fit is not exact, or a system is underdetermined), `hidden` unchanged.
 */
export async function completeFromOutput(
  ctx: ExtractContext,
  hidden: Layer[],
  undetermined: number[][],
  sample: (m: number) => Float64Array,
): Promise<Layer | null> {
  const cols = [...new Set(undetermined.flat())].sort((a, b) => a - b);
  if (cols.length === 0 || hidden.length < 2) return null;
  const fit = await affineFit(ctx, hidden, sample, cols);
  if (!fit) return null;
  const last = hidden[hidden.length - 1];
  const W = Float64Array.from(last.W);
  for (const [c, h] of cols.entries()) {
    const owners = undetermined.map((u, j) => (u.includes(h) ? j : -1)).filter((j) => j >= 0);
    if (owners.length > ctx.oracle.outputDim) return null;
    const A = new Matrix(ctx.oracle.outputDim, owners.length);
    owners.forEach((j, q) => A.setColumn(q, fit.V.getColumn(j)));
    const { x, rank } = lstsqSvd(A, new Matrix([fit.U.getColumn(c)]).transpose(), 1e-10);
    if (rank < owners.length) return null;
    owners.forEach((j, q) => (W[j * last.inDim + h] += x.get(q, 0)));
  }
  return { ...last, W, b: Float64Array.from(last.b) };
}
