// Omnidirectionality (seed 004, slides 6–10): C ∈ R^{m×k} is omnidirectional when C z ≤ 0 only for
// z = 0 — every open half-space holds a row of C — which holds iff 0 lies in the interior of the
// convex hull of C's rows (slide 10). It decides whether {z : C z ≤ d} is bounded (its recession
// cone is {z : C z ≤ 0}) and, restricted to the rows tight at a point, whether that point is the only
// solution (slide 8).
import { numericalRank } from '../linalg/rrqr.js';
import { filled, solveLp } from './lp.js';

export interface Omnidirectionality {
  omnidirectional: boolean;
  /**
   * The LP's optimum s* (≤ 1): 0 = Σ λ_j ĉ_j with λ_j ≥ s*, mean λ = 1, over the unit-normalised rows
   * ĉ_j. s* > 0 means 0 is in the relative interior of the hull; −Infinity when no such λ exists; NaN
   * when the LP was not needed (k = 0, or too few rows).
   */
  margin: number;
  /** Why it is not omnidirectional, in words. */
  reason?: string;
}

/** s* must exceed this for a strictly positive combination (HiGHS solves to 1e-9). */
export const OMNI_MARGIN_TOL = 1e-7;

/**
 * Is the row set of C (row-major m × k) omnidirectional in R^k?
 * 0 ∈ int conv(rows) ⟺ (i) some combination with every λ_j > 0 sums the rows to 0 (0 in the relative
 * interior of the hull) and (ii) the rows span R^k (the hull is full-dimensional). (ii) is checked
 * only when (i) holds, by `spansAll` when the caller can answer it more cheaply (it is called at most
 * once), else by a rank computation.
 */
export async function omnidirectional(C: Float64Array, m: number, k: number, opts: { spansAll?: () => boolean } = {}): Promise<Omnidirectionality> {
  if (k === 0) return { omnidirectional: true, margin: NaN };
  // Normalise rows; zero rows carry no direction.
  const rows: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const r = C.subarray(j * k, (j + 1) * k);
    let s = 0;
    for (let i = 0; i < k; i++) s += r[i] * r[i];
    if (s > 0) rows.push(r.map((v) => v / Math.sqrt(s)));
  }
  const mm = rows.length;
  if (mm <= k) return { omnidirectional: false, margin: NaN, reason: `${mm} non-zero rows cannot surround the origin in ${k} dimensions (needs ≥ ${k + 1})` };
  // Variables μ_1..μ_m ≥ 0 and s, with λ_j = s + μ_j. Maximise s subject to
  //   Σ_j μ_j ĉ_j + s Σ_j ĉ_j = 0   (k rows)   and   Σ_j μ_j + m s = m   (mean λ = 1).
  // Then s ≤ 1, and s* > 0 iff a strictly positive combination of the rows vanishes.
  const numCols = mm + 1;
  const numRows = k + 1;
  const A = new Float64Array(numRows * numCols);
  for (let j = 0; j < mm; j++) {
    const r = rows[j];
    for (let i = 0; i < k; i++) {
      A[i * numCols + j] = r[i];
      A[i * numCols + mm] += r[i];
    }
    A[k * numCols + j] = 1;
  }
  A[k * numCols + mm] = mm;
  const rhs = new Float64Array(numRows);
  rhs[k] = mm;
  const colLower = filled(numCols, 0);
  colLower[mm] = -Infinity;
  const colUpper = filled(numCols, Infinity);
  colUpper[mm] = 1;
  const cost = new Float64Array(numCols);
  cost[mm] = 1;
  const res = await solveLp({ numCols, numRows, A, rowLower: rhs, rowUpper: rhs, colLower, colUpper, cost, maximize: true });
  if (res.status === 'infeasible') return { omnidirectional: false, margin: -Infinity, reason: 'no combination of the rows vanishes with positive weights' };
  if (res.status !== 'optimal' || res.objective === undefined) throw new Error(`omnidirectionality LP ended with HiGHS status ${res.modelStatus}`);
  const margin = res.objective;
  if (margin <= OMNI_MARGIN_TOL) {
    return { omnidirectional: false, margin, reason: 'the rows lie in a closed half-space (0 is on the boundary of their convex hull)' };
  }
  if (opts.spansAll ? !opts.spansAll() : rankOfRows(rows, k) < k) {
    return { omnidirectional: false, margin, reason: `the rows do not span all ${k} dimensions` };
  }
  return { omnidirectional: true, margin };
}

function rankOfRows(rows: Float64Array[], k: number): number {
  const flat = new Float64Array(rows.length * k);
  rows.forEach((r, j) => flat.set(r, j * k));
  return numericalRank(flat, rows.length, k);
}
