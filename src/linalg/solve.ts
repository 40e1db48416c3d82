// Thin wrappers over ml-matrix (float64): least squares, SVD, null space, rank.
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';

/** A dense row-major m × n matrix as ml-matrix. */
export function toMatrix(data: ArrayLike<number>, m: number, n: number): Matrix {
  const M = new Matrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) M.set(i, j, data[i * n + j]);
  return M;
}

export function fromRows(rows: ArrayLike<number>[]): Matrix {
  const M = new Matrix(rows.length, rows[0]?.length ?? 0);
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) M.set(i, j, r[j]);
  });
  return M;
}

export function columnOf(M: Matrix, j: number): Float64Array {
  return Float64Array.from(M.getColumn(j));
}

/**
 * Least squares min ‖A x − b‖ for A m × n (m ≥ n, full column rank) by Householder QR; b may have several columns.
 * Returns x (n × k) and the residual norm of each column.
 */
export function lstsq(A: Matrix, B: Matrix): { x: Matrix; residual: number[] } {
  const x = new QrDecomposition(A).solve(B);
  const R = A.mmul(x).sub(B);
  const residual = Array.from({ length: B.columns }, (_, j) => Math.hypot(...R.getColumn(j)));
  return { x, residual };
}

/** Least squares through the SVD pseudo-inverse (rank-deficient systems); singular values below rcond·σ_max are dropped. */
export function lstsqSvd(A: Matrix, B: Matrix, rcond = 1e-12): { x: Matrix; rank: number; singularValues: number[] } {
  const svd = new SingularValueDecomposition(A, { autoTranspose: true });
  const s = svd.diagonal;
  const smax = Math.max(0, ...s);
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  let rank = 0;
  const x = new Matrix(A.columns, B.columns);
  for (let i = 0; i < s.length; i++) {
    if (s[i] <= rcond * smax) continue;
    rank++;
    const ui = U.getColumnVector(i);
    const vi = V.getColumnVector(i);
    const coef = ui.transpose().mmul(B).div(s[i]); // 1 × k
    x.add(vi.mmul(coef));
  }
  return { x, rank, singularValues: s };
}

/**
 * Scale every column of A to unit norm, in place (a zero column stays zero); returns the norms. A solution v of the
 * scaled system gives v_j / norm_j for the original one: the SVD then sees comparable columns.
 */
export function normalizeColumns(A: Matrix): Float64Array {
  const norms = new Float64Array(A.columns);
  for (let j = 0; j < A.columns; j++) {
    let s = 0;
    for (let i = 0; i < A.rows; i++) s += A.get(i, j) ** 2;
    norms[j] = Math.sqrt(s) || 1;
    for (let i = 0; i < A.rows; i++) A.set(i, j, A.get(i, j) / norms[j]);
  }
  return norms;
}

/** Singular values (descending) and right singular vectors of A (the left ones, m × n for a tall A, are not formed). */
export function svd(A: Matrix): { s: number[]; V: Matrix } {
  const d = new SingularValueDecomposition(A, { autoTranspose: true, computeLeftSingularVectors: false });
  return { s: d.diagonal, V: d.rightSingularVectors };
}

/** Unit vector spanning the (numerical) null space of A (rows ≥ columns): its smallest right singular vector. */
export function smallestRightSingularVector(A: Matrix): { v: Float64Array; s: number[] } {
  const d = new SingularValueDecomposition(A, { autoTranspose: false, computeLeftSingularVectors: false });
  const s = d.diagonal;
  let k = 0;
  for (let i = 1; i < s.length; i++) if (s[i] < s[k]) k = i;
  return { v: Float64Array.from(d.rightSingularVectors.getColumn(k)), s };
}

/**
 * The null vector v of A (its smallest right singular vector) and each row's leave-one-out residual: |a_i·v| / (1 − h_ii),
 * h_ii = Σ_{j≠null} (a_i·V_j / s_j)², the row's leverage on the fitted directions. A row that alone fixes a direction
 * has h_ii → 1 and a raw residual → 0 however wrong it is; the leave-one-out residual still shows it.
 */
export function nullVectorWithLeverage(A: Matrix): { v: Float64Array; s: number[]; loo: Float64Array } {
  const d = new SingularValueDecomposition(A, { autoTranspose: false, computeLeftSingularVectors: false });
  const s = d.diagonal;
  const V = d.rightSingularVectors;
  let k = 0;
  for (let i = 1; i < s.length; i++) if (s[i] < s[k]) k = i;
  const v = Float64Array.from(V.getColumn(k));
  const loo = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    const a = A.getRow(i);
    let h = 0;
    let r = 0;
    for (let j = 0; j < s.length; j++) {
      let p = 0;
      for (let c = 0; c < a.length; c++) p += a[c] * V.get(c, j);
      if (j === k) r = p;
      else if (s[j] > 0) h += (p / s[j]) ** 2;
    }
    loo[i] = Math.abs(r) / Math.max(1 - h, 1e-15);
  }
  return { v, s, loo };
}

/** Numerical rank with relative tolerance. */
export function rank(A: Matrix, rtol = 1e-10): number {
  const s = new SingularValueDecomposition(A, { autoTranspose: true, computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  const smax = Math.max(0, ...s);
  return s.filter((x) => x > rtol * smax).length;
}
