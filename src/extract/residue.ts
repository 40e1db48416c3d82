// The output's affine residue on the last hidden layer, taken apart (seed 001 §5; the sign fit of output-layer.ts).
// With a the activations of the layer before the last hidden layer, fitting on fresh samples
//     N(x) ≈ V·f(x) + U·a + c,   f_j = ReLU(ẑ_j) for the recovered rows ẑ_j = ŵ_j·a + b̂_j,
// leaves in U (outputs × inputs of the last layer) the sum of three things the recovered rows do not say:
//   −Σ_j s_j V_j ŵ_jᵀ      rows whose sign is wrong (ReLU(−u) = ReLU(u) − u), s_j ∈ {0, 1};
//   +Σ_(j,h) V_j Δ_jh e_hᵀ  weights a row's boundary never determined (set to 0): where a_h > 0, B_j is never crossed,
//                          so row j is on there and the missing term Δ_jh·a_h is affine. The row's feature is then
//                          σ_j ẑ_j where one of its undetermined a_h > 0 and ReLU(σ_j ẑ_j) elsewhere (exact, with
//                          a_h = 0 there), σ_j its orientation, tried both ways;
//   +v wᵀ                  a neuron on at every sample (no boundary point ever met it): affine, rank one.
// Alone, each part is an easy fit; together (10-8-8-8-2 seeds 6–8) each fit takes the others' terms for its own. With
// several outputs they separate: for a sign pattern s, the columns no undetermined weight touches ("clean") must leave a
// remainder R = U + Σ s_j V_j ŵ_jᵀ of rank ≤ 1 (v wᵀ); each touched column h is then the small system
// [v | V_owners(h)]·(w_h, Δ_·h) = R_h. Every sign pattern is tried; every split that fits is handed on (at most a few).
import { Matrix } from 'ml-matrix';
import { KnownLayers } from '../geometry/known.js';
import { lstsqSvd, svd } from '../linalg/solve.js';
import { layerForward } from '../network/forward.js';
import type { Layer } from '../network/types.js';
import type { ExtractContext } from './context.js';

/**
 * Largest relative misfit of the output fit that still counts as exact, per precision: float32 answers carry ~5e-6 of
 * rounding each (tolerances.ts), so float64's threshold would refuse every fit; 1e-4 leaves a margin of 20.
 */
const FIT_MISFIT = { float64: 1e-8, float32: 1e-4 };
/** Largest relative residual of a split (to ‖U‖ and the rows' terms V_j ŵ_jᵀ) that counts as exact. */
const SPLIT_TOL = { float64: 1e-6, float32: 1e-2 };
/** Sign patterns tried: all of up to 2^MAX_FLIPS; more rows keep the signs the output layer gave them. */
const MAX_FLIPS = 12;
/** Splits that fit exactly handed on to be verified; more are taken as "the residue cannot tell". */
const MAX_SPLITS = 4;
/** Rows with undetermined weights whose orientations are tried (2^owners fits); "off" is tried for up to MAX_OFF. */
const MAX_OWNERS = 4;
const MAX_OFF = 2;
/** Fits this small (columns) try "off" for every row (4^4 = 256 fits of ≤ 64 columns take well under a second). */
const SMALL_FIT = 64;

/** Fresh sample points with the black box's answers and the recovered layers' values there. */
export interface ResidueSamples {
  xs: Float64Array;
  m: number;
  /** m × outputs. */
  Y: Matrix;
  /** Activations of the layer before the last hidden layer, m × d (row-major). */
  acts: Float64Array;
  /** The last hidden layer's pre-activations, m × n_L (row-major). */
  Z: Float64Array;
}

async function draw(ctx: ExtractContext, hidden: Layer[], sample: (m: number) => Float64Array): Promise<ResidueSamples> {
  const last = hidden[hidden.length - 1];
  const m = 2 * (last.outDim + last.inDim + 1) + 32;
  const xs = sample(m);
  const ys = await ctx.oracle.query(xs, m);
  const nOut = ctx.oracle.outputDim;
  const Y = new Matrix(m, nOut);
  for (let r = 0; r < m; r++) for (let o = 0; o < nOut; o++) Y.set(r, o, ys[r * nOut + o]);
  const acts = new KnownLayers(hidden.slice(0, -1)).activations(xs, m);
  return { xs, m, Y, acts, Z: layerForward(last, acts, m, false) };
}

/** What the residue says about the last hidden layer. */
export interface Settlement {
  /** The last hidden layer with its signs corrected and the undetermined weights the output fixes filled in. */
  layer: Layer;
  /** Rows every undetermined weight of which was filled. */
  completed: number[];
  /**
   * Rows off wherever one of their undetermined inputs is active: those weights are not identifiable, and are set to
   * keep the row off there.
   */
  keptOff: number[];
  /** Unit direction, over the layer's inputs, of a missing neuron on at every sample; null when there is none. */
  alwaysOn: Float64Array | null;
  samples: ResidueSamples;
}

interface Split {
  residual: number;
  flips: number[];
  /** Per undetermined (row, column): Δ, or NaN when the column's system is underdetermined. */
  delta: Map<string, number>;
  alwaysOn: Float64Array | null;
}

/**
 * Split the residue of the last hidden layer of `hidden` (`undetermined[j]`: the columns row j's boundary left at 0).
 * Every split that fits exactly, the simplest kind only (none with a missing neuron when one without fits), at most
 * MAX_SPLITS: empty when none does, or when more do than the verification can tell apart. Several can fit where the
 * samples cannot tell a row's orientation (10-8-8-8-2 seed 7: a row on at 99.6% of inputs, either way round, with a
 * different weight from its undetermined input); they differ off the samples, so the driver verifies each.
 */
export async function settleResidue(
  ctx: ExtractContext,
  hidden: Layer[],
  undetermined: number[][],
  sample: (m: number) => Float64Array,
): Promise<Settlement[]> {
  if (hidden.length < 2) return [];
  const last = hidden[hidden.length - 1];
  const nL = last.outDim;
  const owners = undetermined.map((u, j) => (u.length > 0 ? j : -1)).filter((j) => j >= 0);
  if (owners.length > MAX_OWNERS) return [];
  const S = await draw(ctx, hidden, sample);
  const tol = SPLIT_TOL[ctx.tol.precision];
  const found: { split: Split; sigma: number[]; off: boolean[] }[] = [];
  // Per row with undetermined weights, what it does where one of those inputs is active: on (σ ẑ + Δ·a, linear) or
  // off (seed 001 §5 again: then those weights only have to keep it off, and no query tells them). A row forced on at
  // every sample (one of its undetermined inputs active at each) is linear there either way round: the samples cannot
  // tell its orientation, and it keeps its own (as output-layer.ts keeps an always-on row's sign). "Off" is tried for
  // up to two such rows (4² fits), or all of them when the fit is small; "on" only for more (10-8-8-8-2 seed 9: four
  // rows, three of them off where the input they miss is active).
  const d = last.inDim;
  // forcedAt[r·n_L + j]: one of row j's undetermined inputs is active at sample r.
  const forcedAt = Uint8Array.from({ length: S.m * nL }, (_, q) => +undetermined[q % nL].some((h) => S.acts[Math.floor(q / nL) * d + h] > 0));
  const forced = (j: number) => Array.from({ length: S.m }, (_, r) => forcedAt[r * nL + j]).every(Boolean);
  const premises = owners.map((j) => {
    const all = forced(j) ? [{ sigma: 1, off: false }, { sigma: 1, off: true }] : [1, -1].flatMap((sigma) => [{ sigma, off: false }, { sigma, off: true }]);
    return owners.length > MAX_OFF && last.outDim + d + 1 > SMALL_FIT ? all.filter((p) => !p.off) : all;
  });
  for (const combo of product(premises)) {
    const sigma = new Array<number>(nL).fill(1);
    const off = new Array<boolean>(nL).fill(false);
    owners.forEach((j, q) => ({ sigma: sigma[j], off: off[j] } = combo[q]));
    const fit = fitResidue(ctx, last, S, forcedAt, sigma, off);
    if (!fit) continue;
    // A row off where its undetermined inputs are active leaves nothing of them in the residue.
    const open = undetermined.map((u, j) => (off[j] ? [] : u));
    for (const split of splits(ctx, last, S, open, owners, sigma, fit)) if (split.residual < tol) found.push({ split, sigma, off });
  }
  // A split with no missing neuron explains the residue with less: prefer it. (Flipping one more row j and adding an
  // always-on neuron along ŵ_j is the same function where the neuron is on; such splits are dropped in splits().)
  const simplest = found.some((f) => f.split.alwaysOn === null) ? found.filter((f) => f.split.alwaysOn === null) : found;
  if (simplest.length > MAX_SPLITS) return [];
  return simplest.map((f) => settlement(last, undetermined, f.sigma, f.off, f.split, S));
}

/** Every choice of one element from each list. */
function product<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((pre) => list.map((x) => [...pre, x])), [[]]);
}

interface ResidueFit {
  U: Matrix;
  /** Outputs × n_L; zero for the `linear` rows. */
  V: Matrix;
  /**
   * Rows whose feature is affine at every sample (on everywhere, or on wherever it is not forced on): their column
   * would be a combination of the a-columns, so they are left out of the fit and their whole term α_j ŵ_jᵀ stays in U.
   */
  linear: number[];
}

/**
 * N ≈ [f | a | 1]·θ by least squares, the features f as in the header with orientations `sigma` for the rows with
 * undetermined weights (`forcedAt`: where one of those inputs is active; `off`: the row is off there, not on). Null
 * when the fit is not exact.
 */
function fitResidue(ctx: ExtractContext, last: Layer, S: ResidueSamples, forcedAt: Uint8Array, sigma: number[], off: boolean[]): ResidueFit | null {
  const { m, Y, acts, Z } = S;
  const d = last.inDim;
  const nL = last.outDim;
  const nOut = Y.columns;
  const F = new Matrix(m, nL + d + 1);
  const offSomewhere = new Array<boolean>(nL).fill(false);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < nL; j++) {
      const z = sigma[j] * Z[r * nL + j];
      const forcedHere = forcedAt[r * nL + j] === 1;
      const on = off[j] ? z > 0 && !forcedHere : z > 0 || forcedHere;
      if (!on) offSomewhere[j] = true;
      F.set(r, j, on ? z : 0);
    }
    for (let i = 0; i < d; i++) F.set(r, nL + i, acts[r * d + i]);
    F.set(r, nL + d, 1);
  }
  const linear = offSomewhere.map((off, j) => (off ? -1 : j)).filter((j) => j >= 0);
  for (const j of linear) for (let r = 0; r < m; r++) F.set(r, j, 0);
  const theta = lstsqSvd(F, Y, 1e-13).x;
  const misfit = F.mmul(theta).sub(Y).norm('frobenius') / (Y.norm('frobenius') || 1);
  if (!(misfit < FIT_MISFIT[ctx.tol.precision])) return null;
  const U = new Matrix(nOut, d);
  const V = new Matrix(nOut, nL);
  for (let o = 0; o < nOut; o++) {
    for (let i = 0; i < d; i++) U.set(o, i, theta.get(nL + i, o));
    for (let j = 0; j < nL; j++) V.set(o, j, theta.get(j, o));
  }
  return { U, V, linear };
}

/** The parts of the residue that do not depend on the sign pattern. */
interface Layout {
  /** Columns touched by no undetermined weight, and those touched. */
  clean: number[];
  touched: number[];
  ownersOf: (h: number) => number[];
  /** The last layer's rows, oriented by σ. */
  rows: Float64Array[];
  linear: number[];
  /** The projector onto the complement of the linear rows' span on `clean`. */
  complement: Matrix;
  /** Pseudo-inverse of the linear rows on `clean` (|clean| × |linear|): α = R_C·pinv. */
  pinv: Matrix;
  /** Touched columns with enough samples where a_h > 0 (MIN_SEEN) for the output to fix their weights. */
  seen: Set<number>;
}

/**
 * Every sign pattern of the rows that may flip (not `owners`, whose orientation is set; not linear; switching between
 * the samples): the split of U for each, with its relative residual.
 */
function splits(ctx: ExtractContext, last: Layer, S: ResidueSamples, undetermined: number[][], owners: number[], sigma: number[], fit: ResidueFit): Split[] {
  const { U, V, linear } = fit;
  const d = last.inDim;
  const nL = last.outDim;
  const nOut = U.rows;
  const rows = Array.from({ length: nL }, (_, j) => Float64Array.from(last.W.subarray(j * d, (j + 1) * d), (v) => sigma[j] * v));
  // A row on (or off) at every sample has a sign the fit cannot see: it keeps its own.
  const switches = (j: number) => new Set(Array.from({ length: S.m }, (_, r) => S.Z[r * nL + j] > 0)).size === 2;
  let free = Array.from({ length: nL }, (_, j) => j).filter((j) => !owners.includes(j) && !linear.includes(j) && switches(j));
  // With one output any remainder has rank one: the signs cannot be told from a missing always-on neuron.
  if (nOut === 1 || free.length > MAX_FLIPS) free = [];
  let scale2 = U.norm('frobenius') ** 2;
  for (let j = 0; j < nL; j++) scale2 += Math.hypot(...V.getColumn(j)) ** 2 * Math.hypot(...rows[j]) ** 2;
  const scale = Math.sqrt(scale2) || 1;

  const touched = [...new Set(undetermined.flat())].sort((a, b) => a - b);
  const clean = Array.from({ length: d }, (_, i) => i).filter((i) => !touched.includes(i));
  const B = new Matrix(Math.max(linear.length, 1), clean.length);
  linear.forEach((j, q) => clean.forEach((i, c) => B.set(q, c, rows[j][i])));
  const pinv = linear.length ? pseudoInverse(B) : new Matrix(clean.length, 0);
  const complement = Matrix.eye(clean.length).sub(linear.length ? pinv.mmul(B) : new Matrix(clean.length, clean.length));
  const layout: Layout = {
    clean,
    touched,
    ownersOf: (h) => undetermined.map((u, j) => (u.includes(h) ? j : -1)).filter((j) => j >= 0),
    rows,
    linear,
    complement,
    pinv,
    seen: new Set(touched.filter((h) => seen(S, d, h))),
  };
  const out: Split[] = [];
  for (let code = 0; code < 2 ** free.length; code++) {
    const flips = free.filter((_, q) => (code >> q) & 1);
    const R = U.clone();
    for (const j of flips) {
      const w = rows[j];
      for (let o = 0; o < nOut; o++) for (let i = 0; i < d; i++) R.set(o, i, R.get(o, i) + V.get(o, j) * w[i]);
    }
    // Rank 0 (no missing neuron) when it fits, else rank 1.
    for (const rank1 of [false, true]) {
      if (rank1 && clean.length < 2) break;
      const split = splitColumns(R, V, layout, rank1);
      if (split.alwaysOn && parallelToRow(split.alwaysOn, last)) continue;
      split.residual /= scale;
      split.flips = flips;
      out.push(split);
      if (split.residual < SPLIT_TOL[ctx.tol.precision]) break;
    }
  }
  return out;
}

function pseudoInverse(B: Matrix): Matrix {
  return lstsqSvd(B, Matrix.eye(B.rows), 1e-12).x;
}

/** Samples where a_h > 0 that an undetermined column needs before the output can fix its weights. */
const MIN_SEEN = 3;

function seen(S: ResidueSamples, d: number, h: number): boolean {
  let n = 0;
  for (let r = 0; r < S.m; r++) if (S.acts[r * d + h] > 0) n++;
  return n >= MIN_SEEN;
}

function parallelToRow(w: Float64Array, layer: Layer): boolean {
  const d = layer.inDim;
  for (let j = 0; j < layer.outDim; j++) {
    const row = layer.W.subarray(j * d, (j + 1) * d);
    if (Math.abs(row.reduce((t, v, i) => t + v * w[i], 0)) > (1 - 1e-6) * Math.hypot(...row)) return true;
  }
  return false;
}

/**
 * The rank-0 or rank-1 split of a remainder R. On the clean columns, R_C = Σ_linear α_j ŵ_jᵀ (+ v wᵀ): the part of R_C
 * outside the linear rows' span must vanish (or be rank one), α comes from the rest. Then each touched column's
 * system [v | V_owners]·(w_h, Δ_·h) = R_h − Σ_(linear, not owners) α_j ŵ_jh, with α_j as a linear owner's V_j. A
 * column stays undetermined (NaN) when too few samples had a_h > 0 or the outputs fix fewer unknowns than it has.
 */
function splitColumns(R: Matrix, V: Matrix, layout: Layout, rank1: boolean): Split {
  const { clean, touched, linear, rows } = layout;
  const nOut = R.rows;
  const RC = new Matrix(nOut, clean.length);
  clean.forEach((i, c) => RC.setColumn(c, R.getColumn(i)));
  const outside = RC.mmul(layout.complement);
  let residual2: number;
  let v: number[] | null = null;
  const w = new Float64Array(R.columns);
  if (rank1) {
    const { s, V: left } = svd(outside.transpose());
    v = left.getColumn(0);
    residual2 = s.slice(1).reduce((t, x) => t + x * x, 0);
    const wC = outside.transpose().mmul(Matrix.columnVector(v));
    clean.forEach((i, c) => (w[i] = wC.get(c, 0)));
  } else {
    residual2 = outside.norm('frobenius') ** 2;
  }
  // α (outputs × linear) from what the missing neuron leaves of R_C.
  const vw = v ? Matrix.columnVector(v).mmul(Matrix.rowVector(clean.map((i) => w[i]))) : new Matrix(nOut, clean.length);
  const alpha = RC.clone().sub(vw).mmul(layout.pinv);
  const column = (j: number): number[] => (linear.includes(j) ? alpha.getColumn(linear.indexOf(j)) : V.getColumn(j));
  const delta = new Map<string, number>();
  for (const h of touched) {
    const owners = layout.ownersOf(h);
    const cols = [...(v ? [v] : []), ...owners.map(column)];
    const A = new Matrix(nOut, cols.length);
    cols.forEach((col, q) => A.setColumn(q, col));
    const rhs = Matrix.columnVector(R.getColumn(h));
    linear.forEach((j, q) => {
      if (owners.includes(j)) return;
      for (let o = 0; o < nOut; o++) rhs.set(o, 0, rhs.get(o, 0) - alpha.get(o, q) * rows[j][h]);
    });
    const { x, rank } = lstsqSvd(A, rhs, 1e-10);
    if (rank < cols.length || !layout.seen.has(h)) {
      // A missing neuron's weight from h would be as unknown: no split, rather than a made-up weight.
      if (v) return { residual: Infinity, flips: [], delta, alwaysOn: null };
      for (const j of owners) delta.set(`${j},${h}`, NaN);
      continue;
    }
    residual2 += A.mmul(x).sub(rhs).norm('frobenius') ** 2;
    if (v) w[h] = x.get(0, 0);
    owners.forEach((j, q) => delta.set(`${j},${h}`, x.get(q + (v ? 1 : 0), 0)));
  }
  const norm = Math.hypot(...w);
  return { residual: Math.sqrt(residual2), flips: [], delta, alwaysOn: v && norm > 0 ? w.map((x) => x / norm) : null };
}

function settlement(last: Layer, undetermined: number[][], sigma: number[], off: boolean[], split: Split, samples: ResidueSamples): Settlement {
  const d = last.inDim;
  const nL = last.outDim;
  const W = Float64Array.from(last.W);
  const b = Float64Array.from(last.b);
  for (let j = 0; j < nL; j++) {
    const t = split.flips.includes(j) ? -1 : sigma[j];
    for (let i = 0; i < d; i++) W[j * d + i] *= t;
    b[j] *= t;
  }
  const completed: number[] = [];
  const keptOff: number[] = [];
  undetermined.forEach((cols, j) => {
    if (cols.length === 0) return;
    if (off[j]) {
      // Not identifiable: a weight that keeps the row off wherever that input was active at a sample, twice over,
      // plus the row's own norm as a margin beyond the samples.
      const norm = Math.hypot(...W.subarray(j * d, (j + 1) * d));
      for (const h of cols) {
        let need = 0;
        for (let r = 0; r < samples.m; r++) {
          const a = samples.acts[r * d + h];
          if (a > 0) need = Math.max(need, (sigma[j] * samples.Z[r * nL + j]) / a);
        }
        W[j * d + h] = -(2 * need + norm);
      }
      keptOff.push(j);
      return;
    }
    for (const h of cols) {
      const v = split.delta.get(`${j},${h}`)!;
      if (Number.isFinite(v)) W[j * d + h] = v;
    }
    if (cols.every((h) => Number.isFinite(split.delta.get(`${j},${h}`)!))) completed.push(j);
  });
  return { layer: { ...last, W, b }, completed, keptOff, alwaysOn: split.alwaysOn, samples };
}
