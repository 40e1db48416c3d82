// Rank-revealing QR (Householder with column pivoting, as LAPACK's geqp3) on Float64Array, and what
// the pre-image code needs from it: the solution set of E x = e as x0 + span(null basis), numerical
// rank, and singular values of tall or wide matrices. Written here because ml-matrix has no pivoted QR
// and its SVD is slow beyond a few hundred rows (DESIGN §8); the SVD of the small triangular factor
// still goes through ml-matrix.
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

/** Default relative rank tolerance, the same as `rank()` in solve.ts. */
export const RANK_RTOL = 1e-10;

export interface PivotedQr {
  /** Rows and columns of the factored matrix B. */
  rows: number;
  cols: number;
  /**
   * Column-major rows × cols: R on and above the diagonal, the Householder vectors (with implicit
   * leading 1) below it, for the first `steps` columns.
   */
  qr: Float64Array;
  /** H_s = I − tau[s] v_s v_sᵀ; Q = H_0 H_1 ⋯ H_{steps−1}. */
  tau: Float64Array;
  /** Column s of R is column perm[s] of B. */
  perm: Int32Array;
  /** Numerical rank: the first column norm that fell to ≤ rtol · (largest column norm) stops the factorisation. */
  rank: number;
  /** Householder steps done (= rank, or min(rows, cols) when rtol = 0). */
  steps: number;
}

/**
 * B Π = Q R for B given column-major (rows × cols; the array is copied). Stops at the numerical rank:
 * when every remaining column has norm ≤ rtol · ‖largest column of B‖. With rtol = 0 it runs all
 * min(rows, cols) steps (used for singular values).
 */
export function pivotedQr(colMajor: ArrayLike<number>, rows: number, cols: number, rtol = RANK_RTOL): PivotedQr {
  const a = Float64Array.from(colMajor);
  const perm = Int32Array.from({ length: cols }, (_, j) => j);
  const norms = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0, o = j * rows; i < rows; i++) s += a[o + i] * a[o + i];
    norms[j] = s;
  }
  const limit = Math.min(rows, cols);
  const tau = new Float64Array(limit);
  let first = -1;
  let steps = 0;
  let rank = limit;
  for (let s = 0; s < limit; s++) {
    let p = s;
    for (let j = s + 1; j < cols; j++) if (norms[j] > norms[p]) p = j;
    const colNorm = Math.sqrt(norms[p]);
    if (first < 0) first = colNorm;
    if (colNorm === 0 || colNorm <= rtol * first) {
      rank = s;
      break;
    }
    if (p !== s) {
      const os = s * rows;
      const op = p * rows;
      for (let i = 0; i < rows; i++) {
        const t = a[os + i];
        a[os + i] = a[op + i];
        a[op + i] = t;
      }
      [perm[s], perm[p]] = [perm[p], perm[s]];
      [norms[s], norms[p]] = [norms[p], norms[s]];
    }
    // Householder vector for a[s.., s]: R_ss = beta = −sign(x0)‖x‖, v = x / (x0 − beta) with v0 = 1.
    const os = s * rows;
    let sq = 0;
    for (let i = s; i < rows; i++) sq += a[os + i] * a[os + i];
    const x0 = a[os + s];
    const beta = x0 >= 0 ? -Math.sqrt(sq) : Math.sqrt(sq);
    const t = (beta - x0) / beta;
    const scale = 1 / (x0 - beta);
    for (let i = s + 1; i < rows; i++) a[os + i] *= scale;
    a[os + s] = beta;
    tau[s] = t;
    // Apply H_s to the remaining columns, and recompute their norms below row s (exact, no downdating).
    for (let j = s + 1; j < cols; j++) {
      const oj = j * rows;
      let w = a[oj + s];
      for (let i = s + 1; i < rows; i++) w += a[os + i] * a[oj + i];
      w *= t;
      a[oj + s] -= w;
      let n2 = 0;
      for (let i = s + 1; i < rows; i++) {
        const v = a[oj + i] - w * a[os + i];
        a[oj + i] = v;
        n2 += v * v;
      }
      norms[j] = n2;
    }
    steps = s + 1;
  }
  if (rank === limit) steps = limit;
  return { rows, cols, qr: a, tau, perm, rank, steps };
}

/** v ← Q v (in place), v of length rows. */
export function applyQ(f: PivotedQr, v: Float64Array): void {
  for (let s = f.steps - 1; s >= 0; s--) reflect(f, s, v);
}

function reflect(f: PivotedQr, s: number, v: Float64Array): void {
  const { qr, rows } = f;
  const os = s * rows;
  let w = v[s];
  for (let i = s + 1; i < rows; i++) w += qr[os + i] * v[i];
  w *= f.tau[s];
  v[s] -= w;
  for (let i = s + 1; i < rows; i++) v[i] -= w * qr[os + i];
}

/** Solution set of E x = e (E row-major p × n): x0 + span(nullBasis), with x0 in the row space of E. */
export interface AffineSolutionSet {
  /** The minimum-norm solution when the system is consistent. */
  x0: Float64Array;
  /** Orthonormal basis of the null space of E: k vectors of length n, row-major k × n. */
  nullBasis: Float64Array;
  /** k = n − rank(E). */
  nullity: number;
  rank: number;
  /** max_i |(E x0 − e)_i|: zero up to rounding when the equations are consistent. */
  residual: number;
  /** max_i Σ_j |E_ij x0_j| and ‖e‖∞: the scale the residual should be judged against. */
  scale: number;
}

/**
 * Factor Eᵀ Π = Q R (Eᵀ is E's row-major array read column-major, so nothing is transposed):
 * Πᵀ E = Rᵀ Qᵀ, so with w = Qᵀ x the first `rank` equations give a triangular system for w_1..r,
 * x0 = Q [w; 0], and the last n − rank columns of Q span the null space of E.
 */
export function affineSolutionSet(E: ArrayLike<number>, e: ArrayLike<number>, p: number, n: number, rtol = RANK_RTOL): AffineSolutionSet {
  const f = pivotedQr(E, n, p, rtol);
  const r = f.rank;
  const w = new Float64Array(n);
  for (let i = 0; i < r; i++) {
    let acc = e[f.perm[i]];
    const oi = i * n; // column i of the factor holds R_0i..R_ii
    for (let j = 0; j < i; j++) acc -= f.qr[oi + j] * w[j];
    w[i] = acc / f.qr[oi + i];
  }
  applyQ(f, w);
  const k = n - r;
  const nullBasis = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    const v = nullBasis.subarray(j * n, (j + 1) * n);
    v[r + j] = 1;
    applyQ(f, v);
  }
  let residual = 0;
  let scale = 0;
  for (let i = 0; i < p; i++) {
    let acc = -e[i];
    let mag = Math.abs(e[i]);
    for (let j = 0, o = i * n; j < n; j++) {
      const t = E[o + j] * w[j];
      acc += t;
      mag += Math.abs(t);
    }
    residual = Math.max(residual, Math.abs(acc));
    scale = Math.max(scale, mag);
  }
  return { x0: w, nullBasis, nullity: k, rank: r, residual, scale };
}

/** Numerical rank of a row-major m × n matrix (relative tolerance rtol on the pivoted QR diagonal). */
export function numericalRank(A: ArrayLike<number>, m: number, n: number, rtol = RANK_RTOL): number {
  // A row-major is Aᵀ column-major (n × m); rank(Aᵀ) = rank(A).
  return pivotedQr(A, n, m, rtol).rank;
}

/**
 * Singular values (descending, min(m, n) of them) of a row-major m × n matrix. The matrix is first
 * reduced to its square triangular factor R by QR (same singular values), whose SVD is cheap.
 */
export function singularValues(A: ArrayLike<number>, m: number, n: number): number[] {
  // Factor whichever of A, Aᵀ is tall: Aᵀ is free (row-major A = column-major Aᵀ), A needs a transpose.
  let f: PivotedQr;
  if (m >= n) {
    const colMajor = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) colMajor[j * m + i] = A[i * n + j];
    f = pivotedQr(colMajor, m, n, 0);
  } else {
    f = pivotedQr(A, n, m, 0);
  }
  const d = Math.min(m, n);
  const R = new Matrix(d, d);
  // Rows at and below `steps` are zero (the factorisation stops only on an exactly zero remainder).
  for (let j = 0; j < d; j++) for (let i = 0; i <= Math.min(j, f.steps - 1); i++) R.set(i, j, f.qr[j * f.rows + i]);
  const s = new SingularValueDecomposition(R, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  return s.sort((x, y) => y - x);
}
