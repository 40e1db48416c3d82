// The local hyperplane at a boundary point from the jump of the input Jacobian (DESIGN §4.2, §9).
// On each side of B_z the network is linear; across B_z its Jacobian changes by the rank-one matrix
// a ⊗ ∇z (a = ∂output/∂z on the active side). Finite differences along e_1..e_n on both sides give the jump;
// its dominant right singular vector is ∇z's direction: the local hyperplane's normal.
import { dot, norm } from '../linalg/vec.js';
import type { Oracle } from '../oracle/types.js';

export interface JumpRequest {
  /** A point on the boundary. */
  x: Float64Array;
  /** A direction that crosses the boundary at x (the search line's direction). */
  across: Float64Array;
  /** Distance (along `across`, in units of |across|) to either side that stays inside the two regions. */
  side: number;
  /**
   * Finite-difference step (default side·|across|/(4√n), safe for any crossing angle). When `across` is close to
   * the boundary's normal the side points are a full side distance from it and a step of side/4 is safe: four to
   * eight times larger, which keeps a float32 black box's rounding from swamping the differences.
   */
  step?: number;
}

export interface Jump {
  /** Unit normal of the local hyperplane, oriented so that normal·across > 0. */
  normal: Float64Array;
  /** Output jump per unit of normal·(x − x0) when crossing in the normal's direction. */
  outputJump: Float64Array;
  /** ‖jump − rank-one part‖ / ‖jump‖: large when the sides were not clean single regions. */
  rankOneError: number;
  /** Norm of the Jacobian jump (0: no boundary here). */
  magnitude: number;
}

/**
 * Measure the local hyperplane at many boundary points in one batch: 2(n+1) queries per point.
 * Side points x ± s·across; forward differences of step h = s·|across|/(4√n) along each axis. A step moves the
 * point's distance to B_z by at most h, a quarter of the side distance for a typical crossing angle
 * (|normal·across| ~ |across|/√n); a side that is not one clean region shows up in rankOneError.
 *
 * With `basis` (d orthonormal vectors), the differences go along those instead of the axes: 2(d+1) queries per
 * point, and the normal is measured within their span only (its part outside is invisible). For callers that know
 * the normal lies in that span.
 */
export async function measureJumps(oracle: Oracle, reqs: JumpRequest[], basis?: Float64Array[]): Promise<Jump[]> {
  const n = oracle.inputDim;
  const m = oracle.outputDim;
  const d = basis ? basis.length : n;
  const per = 2 * (d + 1);
  const xs = new Float64Array(reqs.length * per * n);
  const hs: number[] = [];
  reqs.forEach((r, k) => {
    const an = norm(r.across);
    // The normals of the boundaries near x lie in the basis' span too (for a deeper boundary: the first-layer rows'),
    // so a basis step meets them at ~1/√d instead of an axis step's ~1/√n: √(d/n) times shorter steps move as little
    // across them.
    const h = r.step ?? ((r.side * an) / (4 * Math.sqrt(n))) * (basis ? Math.sqrt(d / n) : 1);
    hs.push(h);
    for (let s = 0; s < 2; s++) {
      const sign = s === 0 ? 1 : -1;
      for (let q = 0; q <= d; q++) {
        const row = (k * per + s * (d + 1) + q) * n;
        for (let j = 0; j < n; j++) xs[row + j] = r.x[j] + sign * r.side * r.across[j];
        if (q === 0) continue;
        if (basis) for (let j = 0; j < n; j++) xs[row + j] += h * basis[q - 1][j];
        else xs[row + q - 1] += h;
      }
    }
  });
  const ys = await oracle.query(xs, reqs.length * per);
  return reqs.map((r, k) => {
    // jump[o][j] = J+[o][j] − J−[o][j], J along the d difference directions
    const jump = new Float64Array(m * d);
    const base = (s: number, q: number) => (k * per + s * (d + 1) + q) * m;
    for (let j = 0; j < d; j++) {
      for (let o = 0; o < m; o++) {
        const dPlus = (ys[base(0, j + 1) + o] - ys[base(0, 0) + o]) / hs[k];
        const dMinus = (ys[base(1, j + 1) + o] - ys[base(1, 0) + o]) / hs[k];
        jump[o * d + j] = dPlus - dMinus;
      }
    }
    if (!basis) return rankOne(jump, m, n, r.across);
    // In the basis' coordinates, then back to the input space (orthonormal: lengths and angles are kept).
    const j = rankOne(jump, m, d, Float64Array.from(basis, (b) => dot(b, r.across)));
    const normal = new Float64Array(n);
    basis.forEach((b, q) => {
      for (let i = 0; i < n; i++) normal[i] += j.normal[q] * b[i];
    });
    return { ...j, normal };
  });
}

/** Dominant rank-one factor a gᵀ of an m × n matrix by power iteration (m is small: the output dimension). */
function rankOne(J: Float64Array, m: number, n: number, across: Float64Array): Jump {
  // Start from the row of largest norm.
  let bestRow = 0;
  let bestNorm = -1;
  for (let o = 0; o < m; o++) {
    const r = norm(J.subarray(o * n, (o + 1) * n));
    if (r > bestNorm) {
      bestNorm = r;
      bestRow = o;
    }
  }
  let g = Float64Array.from(J.subarray(bestRow * n, (bestRow + 1) * n));
  const a = new Float64Array(m);
  for (let it = 0; it < 4; it++) {
    const gn = norm(g) || 1;
    for (let o = 0; o < m; o++) a[o] = dot(J.subarray(o * n, (o + 1) * n), g) / gn;
    const an = norm(a) || 1;
    const g2 = new Float64Array(n);
    for (let o = 0; o < m; o++) for (let j = 0; j < n; j++) g2[j] += (a[o] / an) * J[o * n + j];
    g = g2;
  }
  let gn = norm(g);
  if (dot(g, across) < 0) gn = -gn;
  const normal = g.map((v) => v / gn);
  // a = J·normal (output change per unit of normal displacement)
  const outputJump = new Float64Array(m);
  for (let o = 0; o < m; o++) outputJump[o] = dot(J.subarray(o * n, (o + 1) * n), normal);
  let res = 0;
  let tot = 0;
  for (let o = 0; o < m; o++) {
    for (let j = 0; j < n; j++) {
      const v = J[o * n + j];
      const d = v - outputJump[o] * normal[j];
      res += d * d;
      tot += v * v;
    }
  }
  return { normal, outputJump, rankOneError: tot > 0 ? Math.sqrt(res / tot) : 1, magnitude: Math.sqrt(tot) };
}
