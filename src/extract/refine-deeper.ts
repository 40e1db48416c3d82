// Deeper rows to float64 precision: the layer-k analogue of the first layer's refinement (DESIGN §9 "refine after
// finding"; Carlini et al. 2020 §4). A row from App. B's systems inherits the ~1e-9 precision of measured normals.
// Its boundary, predicted from the known layers, is crossed by random lines; there the kink search places the true
// boundary point x_p to ~1e-13 relative (extrapolated kinks, kinks.ts), and at each such point
//     Σ_h w_h·ReLU(t_h ẑ_h(x_p)) + b = 0
// holds exactly. With more points than active weights, (w, b) is the null vector of that system: its precision is
// the kink positions' and the known layers', not the normals'.
import { Matrix } from 'ml-matrix';
import type { KnownLayers } from '../geometry/known.js';
import { normalizeColumns, nullVectorWithLeverage } from '../linalg/solve.js';
import { normalize } from '../linalg/vec.js';
import { predictedGradient } from './approach.js';
import type { ExtractContext } from './context.js';
import type { RowEstimate } from './layer-solve.js';
import { boundaryHits } from './test-boundary.js';

/**
 * Per precision: the largest change a refinement may make (relative, unit rows; a bigger one means the points were not
 * all on B_z), and the smallest singular value that still counts as rounding (relative to the largest).
 */
const LIMITS = {
  float64: { change: 1e-4, rounding: 1e-9 },
  float32: { change: 3e-2, rounding: 1e-5 },
};

/** Rounds of further boundary crossings for rows with fewer equations than unknowns (plus a margin). */
const MORE_ROUNDS = 3;

export async function refineDeeperRows(
  ctx: ExtractContext,
  known: KnownLayers,
  signs: Int8Array,
  rows: RowEstimate[],
  explored: Float64Array[][] = [],
): Promise<RowEstimate[]> {
  if (rows.length === 0) return rows;
  const limits = LIMITS[ctx.tol.precision];
  const last = known.depth - 1;
  const H = known.layers[last].outDim;
  // Layer k−1's activations (signs applied) at each boundary point found, computed once per point.
  const activations = (x: Float64Array) => Float64Array.from(known.preActs(x)[last], (v, h) => Math.max(0, signs[h] * v));
  const found = await boundaryHits(ctx, known, signs, rows, H + 8, { apart: rows });
  // The explored points are kinks too (walk steps, single points): a rare neuron's predicted boundary meets few random
  // lines, and its explored points are many of its equations.
  const actsOf = found.map((f, r) => f.points.concat(explored[r] ?? []).map(activations));
  // Determined weights whose neuron was never active at those points: more crossings, where it is.
  const missing = rows.map((row, r) => Array.from({ length: H }, (_, h) => h).filter((h) => !row.undetermined.includes(h) && !actsOf[r].some((a) => a[h] > 0)));
  const again = missing.map((m, r) => (m.length > 0 ? r : -1)).filter((r) => r >= 0);
  if (again.length > 0) {
    const extra = await boundaryHits(ctx, known, signs, again.map((r) => rows[r]), 2 * H, {
      where: (i, z) => missing[again[i]].some((h) => signs[h] * z[h] > 0),
      apart: rows,
    });
    again.forEach((r, i) => actsOf[r].push(...extra[i].points.map(activations)));
  }
  // A neuron almost always on (or off) meets few random lines: too few equations for a clear null vector. More lines,
  // until every row has them or a round finds nothing new (784-128-128-10 seed 1: a layer-2 row with 114 points for
  // 129 unknowns stayed at its walks' 1.3e-7).
  // Random lines first, then also lines across the boundary near one of its explored points (in turn): trained
  // 10-12-10-2 seed 10's rare layer-2 neuron had 10 points for 12 unknowns and stayed at its walks' 7.7e-8.
  for (let round = 0; round < MORE_ROUNDS; round++) {
    const short = rows.map((_, r) => r).filter((r) => actsOf[r].length < H + 8);
    if (short.length === 0) break;
    const near = short.map((r) => {
      const xs = explored[r] ?? [];
      return xs.length > 0 ? predictedNormalAt(known, signs, rows[r], xs[round % xs.length]) : undefined;
    });
    const more = await boundaryHits(ctx, known, signs, short.map((r) => rows[r]), H + 8, { apart: rows, near });
    short.forEach((r, i) => actsOf[r].push(...more[i].points.map(activations)));
    if (more.every((m) => m.points.length === 0)) break;
  }
  return rows.map((row, r) => {
    const acts = actsOf[r];
    // Weights seen active at some point; the others keep their value (the system says nothing about them).
    const cols = Array.from({ length: H }, (_, h) => h).filter((h) => acts.some((a) => a[h] > 0));
    const u = nullFit(acts, cols, limits.rounding);
    if (!u) return { ...row, refined: false };
    // Scale (and sign) that best matches the old row on the refined entries.
    let num = 0;
    let den = 0;
    cols.forEach((h, c) => {
      num += row.w[h] * u[c];
      den += u[c] * u[c];
    });
    num += row.b * u[cols.length];
    den += u[cols.length] ** 2;
    const lambda = num / den;
    const w = Float64Array.from(row.w);
    cols.forEach((h, c) => (w[h] = lambda * u[c]));
    const b = lambda * u[cols.length];
    let change = Math.abs(b - row.b) / (1 + Math.abs(row.b));
    for (let h = 0; h < H; h++) change = Math.max(change, Math.abs(w[h] - row.w[h]));
    return change < limits.change ? { ...row, w, b, refined: true } : { ...row, refined: false };
  });
}

/** x with the unit normal of a row's boundary there, as the known layers and the row predict it. */
function predictedNormalAt(known: KnownLayers, signs: Int8Array, row: RowEstimate, x: Float64Array): { x: Float64Array; normal: Float64Array } {
  const last = known.depth - 1;
  const { z, grad } = known.localGradients(x);
  return { x, normal: normalize(predictedGradient(signs, row, z[last], grad[last], x.length)) };
}

/**
 * The null vector (weights of `cols`, then the bias) of the system Σ_h w_h a_h + b = 0 over the points' activations
 * `acts`, or null unless it is one clear null direction (the smallest singular value at the black box's rounding, the
 * next well above it). While it is not, the point with the largest leave-one-out residual goes, up to a quarter of
 * the points: a float32 black box's boundary tests accept kinks of other boundaries within their wider windows
 * (10-8-8-1 seed 7: a few points 1e-3..5e-3 off B_z left a row at 6.7e-3; without them it is at 2e-5). Leave-one-out,
 * not the plain residual: a wrong point that alone fixes a direction of the fit has a residual near zero (float32
 * 10-8-8-1 seed 3: a point 3e-4 off B_z kept at 7e-15 while four good points went, a row at 2.8e-3).
 */
function nullFit(acts: Float64Array[], cols: number[], rounding: number): number[] | null {
  let pts = acts;
  for (let drops = 0; drops <= acts.length / 4 && pts.length >= cols.length + 3; drops++) {
    // A column no point is active in any more would be the null vector, and a wrong one.
    if (cols.some((h) => !pts.some((a) => a[h] > 0))) return null;
    const A = new Matrix(pts.length, cols.length + 1);
    pts.forEach((a, p) => {
      cols.forEach((h, c) => A.set(p, c, a[h]));
      A.set(p, cols.length, 1);
    });
    const scales = normalizeColumns(A);
    const { v, s, loo } = nullVectorWithLeverage(A);
    const sorted = [...s].sort((a, b) => a - b);
    if (sorted[0] < rounding * sorted[sorted.length - 1] && sorted[1] > 1e3 * sorted[0]) return Array.from(v, (x, c) => x / scales[c]);
    const worst = loo.indexOf(Math.max(...loo));
    pts = pts.filter((_, p) => p !== worst);
  }
  return null;
}
