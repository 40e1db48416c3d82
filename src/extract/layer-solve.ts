// The linear systems of seed 001 Appendix B, solved over all explored points of one layer-k boundary at once.
//
// At a point p of B_z, ∇z(p) = Σ_h W_zh·[h active at p]·∇z_h(p). The known layer k−1 is known up to one sign t_h
// per neuron: z_h = t_h·ẑ_h. With σ_hp = sign(ẑ_h(p)), [h active] = (1 + t_h σ_hp)/2, and the measured unit normal
// g_p = ∇z(p)/s_p:
//     s_p g_p = Σ_h (γ_h + β_h σ_hp) ∇ẑ_h(p),   β_h = W_zh/2,  γ_h = W_zh t_h/2        (pass 1)
// is linear and homogeneous in (β, γ, s). Its null vector gives t_h = γ_h/β_h for every h whose σ changes along the
// walk (the boundary crossed B_h) — the signs of layer k−1. With the signs known (t = 1 after flipping),
//     s_p g_p = Σ_h W_zh [ẑ_h(p) > 0] ∇ẑ_h(p)                                              (pass 2)
// gives z's row; its bias follows from z(p) = 0. A neuron h with σ constant along the walk contributes one
// unknown c_h (pass 1); one never active at z's points leaves W_zh undetermined (§5).
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { lstsqSvd, normalizeColumns, svd } from '../linalg/solve.js';
import { norm } from '../linalg/vec.js';
import type { KnownLayers } from '../geometry/known.js';
import type { WalkPoint } from './walk.js';

export interface PointData {
  x: Float64Array;
  normal: Float64Array;
  /** ẑ of layer k−1 at x. */
  z: Float64Array;
  /** |∇ẑ_h| of layer k−1 at x (how far x is from B_h: |ẑ_h| / |∇ẑ_h|). */
  gradNorms: Float64Array;
  /**
   * ∇ẑ (H × n) and `normal` in the coordinates of an orthonormal basis of their span (d ≤ H + 1 numbers per vector
   * instead of n): the point's n equations below, rotated by that basis, are the same system with d rows, so a
   * 784-input network's systems shrink ~(n / (H + 1))-fold at no loss of precision (Householder QR). Only these
   * coordinates are kept: an input-space gradient is H·n numbers per point (800 kB for 784-128-…).
   */
  coords: { d: number; grad: Float64Array; normal: Float64Array };
}

/**
 * Orthonormal basis Q (n × H) of the gradients ∇ẑ (H × n) and their coordinates R in it. With one known layer the
 * gradients are its rows at every point, so this QR is done once per layer, not once per point (784-64-64-10: 13 s).
 */
interface GradBasis {
  Q: Matrix;
  coords: Float64Array;
}
const firstLayerBasis = new WeakMap<KnownLayers, GradBasis>();

function gradBasis(grad: Float64Array, H: number, n: number): GradBasis {
  const G = new Matrix(n, H);
  for (let r = 0; r < n; r++) for (let h = 0; h < H; h++) G.set(r, h, grad[h * n + r]);
  const qr = new QrDecomposition(G);
  const R = qr.upperTriangularMatrix;
  const d = H + 1;
  const coords = new Float64Array(H * d);
  for (let r = 0; r < H; r++) for (let h = 0; h < H; h++) coords[h * d + r] = R.get(r, h);
  return { Q: qr.orthogonalMatrix, coords };
}

/**
 * A point's data from its ẑ and ∇ẑ of layer k−1 (H × n) and its measured normal. The normal's coordinates are
 * Qᵀ·normal plus the length of its part outside the gradients' span (the QR of [∇ẑᵀ | normal], column by column).
 */
function makePointData(x: Float64Array, normal: Float64Array, z: Float64Array, grad: Float64Array, basis?: GradBasis): PointData {
  const H = z.length;
  const n = x.length;
  const gradNorms = Float64Array.from(z, (_, h) => norm(grad.subarray(h * n, (h + 1) * n)));
  if (n <= H + 1) return { x, normal, z, gradNorms, coords: { d: n, grad, normal } };
  const { Q, coords } = basis ?? gradBasis(grad, H, n);
  const d = H + 1;
  const cn = new Float64Array(d);
  const rest = Float64Array.from(normal);
  for (let h = 0; h < H; h++) {
    let c = 0;
    for (let r = 0; r < n; r++) c += Q.get(r, h) * normal[r];
    cn[h] = c;
    for (let r = 0; r < n; r++) rest[r] -= c * Q.get(r, h);
  }
  cn[H] = norm(rest);
  return { x, normal, z, gradNorms, coords: { d, grad: coords, normal: cn } };
}

/** The point data of x with B_z's unit normal there; `local` is x's localGradients when the caller has them. */
export function pointDataAt(
  known: KnownLayers,
  x: Float64Array,
  normal: Float64Array,
  local: { z: Float64Array[]; grad: Float64Array[] } = known.localGradients(x),
): PointData {
  const last = known.depth - 1;
  const { z, grad } = local;
  const H = z[last].length;
  let basis: GradBasis | undefined;
  if (known.depth === 1 && x.length > H + 1) {
    basis = firstLayerBasis.get(known);
    if (!basis) {
      basis = gradBasis(grad[last], H, x.length);
      firstLayerBasis.set(known, basis);
    }
  }
  return makePointData(x, normal, z[last], grad[last], basis);
}

export function pointData(known: KnownLayers, points: WalkPoint[]): PointData[] {
  return points.map((p) => pointDataAt(known, p.x, p.normal));
}

/** Signs applied to a boundary's point data (ẑ_h → t_h·ẑ_h, and its gradient). */
export function withSigns(points: PointData[], signs: Int8Array): PointData[] {
  return points.map((p) => ({
    ...p,
    z: Float64Array.from(p.z, (v, h) => v * signs[h]),
    coords: { ...p.coords, grad: Float64Array.from(p.coords.grad, (v, i) => v * signs[Math.floor(i / p.coords.d)]) },
  }));
}

/**
 * The solution of a homogeneous system A v = 0 whose last `scaleCols` unknowns are the per-point scales s_p
 * (never all zero in the true solution). Columns are scaled to unit norm. When layer k−1's gradients are
 * linearly dependent (an expansive layer), the numerical null space also holds trivial solutions with s = 0;
 * the returned vector is the null-space vector orthogonal to them. Reports s_min/s_max (consistency).
 */
function nullVector(A: Matrix, scaleCols: number, nullTol: number): { v: Float64Array; rel: number; nullity: number; separation: number } {
  const cols = A.columns;
  const scales = normalizeColumns(A);
  // A tall system has the singular values and right vectors of its QR's R (cols × cols; Householder QR is backward
  // stable): a neuron's P points give P·(H + 1) rows, and the SVD of R costs a fraction of the tall one's.
  const { s, V } = svd(A.rows > 2 * cols ? new QrDecomposition(A).upperTriangularMatrix : A);
  const k = s.length - 1;
  const rel = s[k] / (s[0] || 1);
  // Null-space basis: the smallest singular value and every other one below the tolerance.
  const basis: number[] = [k];
  for (let i = k - 1; i >= 0 && s[i] < nullTol * s[0]; i--) basis.push(i);
  let coeffs = [1];
  if (basis.length > 1) {
    // The s-part of the null space: its dominant right singular vector picks the non-trivial combination.
    const Ns = new Matrix(scaleCols, basis.length);
    for (let r = 0; r < scaleCols; r++) basis.forEach((c, j) => Ns.set(r, j, V.get(cols - scaleCols + r, c)));
    coeffs = svd(Ns).V.getColumn(0);
  }
  const v = new Float64Array(cols);
  basis.forEach((c, j) => {
    for (let r = 0; r < cols; r++) v[r] += coeffs[j] * V.get(r, c);
  });
  for (let r = 0; r < cols; r++) v[r] /= scales[r];
  const outside = s[k - basis.length];
  return { v, rel, nullity: basis.length, separation: outside === undefined ? 0 : outside / (s[0] || 1) };
}

/** Rows of a system over these points: d per point. */
function totalRows(data: PointData[]): number {
  return data.reduce((t, p) => t + p.coords.d, 0);
}

export interface SignEstimate {
  /** γ_h/β_h per layer-(k−1) neuron (≈ ±1), NaN where this boundary did not determine it. */
  ratio: Float64Array;
  /** β_h = W_zh/2 (0 where σ_h never changed), the point scales s_p, and which h changed side. */
  beta: Float64Array;
  pointScales: Float64Array;
  varying: boolean[];
  /** > 1 when layer k−1's gradients are dependent: γ (and so the ratios) are then determined only jointly. */
  nullity: number;
  /** Relative confidence weight |β_h| / max|β|. */
  weight: Float64Array;
  /**
   * For each h on one side of its boundary at every point (σ_h constant): σ_h·|c_h| relative to the largest
   * coefficient of the system, NaN for varying h. With nullity 1 the coefficients are unique, so c_h ≠ 0 means h is
   * active there, hence t_h = σ_h; c_h = 0 means inactive (or W_zh = 0). This gives the signs of a layer no wider
   * than the input from single points (Carlini et al. 2020, contractive case), without walking across any boundary.
   */
  activity: Float64Array;
  /** Coefficient of ∇ẑ_h as a function of σ: [coef(σ = −1), coef(σ = +1)] (NaN = unknown), for the provisional value. */
  coef: [number, number][];
  bias: number;
  /** s_min/s_max of the system (≈ 1e-15 for a layer-k boundary, large for a deeper one). */
  consistency: number;
  /**
   * The smallest singular value outside the null space, relative: how well the solution is separated from the
   * others (small when layer k−1's gradients are nearly dependent, so that measurement noise moves it far).
   */
  separation: number;
}

export function solveSigns(data: PointData[], H: number, nullTol: number): SignEstimate {
  const m = data.length;
  const varying = new Array<boolean>(H);
  const constSign = new Array<number>(H);
  for (let h = 0; h < H; h++) {
    const signs = new Set(data.map((p) => Math.sign(p.z[h])));
    varying[h] = signs.size > 1;
    constSign[h] = Math.sign(data[0].z[h]);
  }
  const colOf: number[] = [];
  let cols = 0;
  for (let h = 0; h < H; h++) {
    colOf.push(cols);
    cols += varying[h] ? 2 : 1;
  }
  const A = new Matrix(totalRows(data), cols + m);
  let r0 = 0;
  data.forEach((p, i) => {
    const { d, grad, normal } = p.coords;
    for (let h = 0; h < H; h++) {
      const sg = Math.sign(p.z[h]);
      for (let r = 0; r < d; r++) {
        const g = grad[h * d + r];
        A.set(r0 + r, colOf[h], g);
        if (varying[h]) A.set(r0 + r, colOf[h] + 1, sg * g);
      }
    }
    for (let r = 0; r < d; r++) A.set(r0 + r, cols + i, -normal[r]);
    r0 += d;
  });
  const { v, rel, nullity, separation } = nullVector(A, m, nullTol);
  const ratio = new Float64Array(H).fill(NaN);
  const weight = new Float64Array(H);
  const activity = new Float64Array(H).fill(NaN);
  const coef: [number, number][] = [];
  let maxCoef = 0;
  for (let h = 0; h < H; h++) {
    maxCoef = Math.max(maxCoef, Math.abs(v[colOf[h]]));
    if (varying[h]) maxCoef = Math.max(maxCoef, Math.abs(v[colOf[h] + 1]));
  }
  let maxBeta = 0;
  for (let h = 0; h < H; h++) if (varying[h]) maxBeta = Math.max(maxBeta, Math.abs(v[colOf[h] + 1]));
  for (let h = 0; h < H; h++) {
    if (varying[h]) {
      const gamma = v[colOf[h]];
      const beta = v[colOf[h] + 1];
      ratio[h] = gamma / beta;
      weight[h] = maxBeta > 0 ? Math.abs(beta) / maxBeta : 0;
      coef.push([gamma - beta, gamma + beta]);
    } else {
      const c = v[colOf[h]];
      coef.push(constSign[h] > 0 ? [0, c] : [c, 0]);
      activity[h] = maxCoef > 0 ? (constSign[h] * Math.abs(c)) / maxCoef : 0;
    }
  }
  // Bias: z(p) = Σ_h coef_h(σ_hp) ẑ_h(p) + b = 0 at every point.
  let bias = 0;
  for (const p of data) bias -= provisionalSum(coef, p.z);
  bias /= m;
  const beta = new Float64Array(H);
  for (let h = 0; h < H; h++) if (varying[h]) beta[h] = v[colOf[h] + 1];
  const pointScales = v.slice(cols, cols + m);
  return { ratio, weight, activity, coef, bias, consistency: rel, separation, beta, pointScales, varying, nullity };
}

function provisionalSum(coef: [number, number][], z: Float64Array): number {
  let s = 0;
  for (let h = 0; h < coef.length; h++) s += coef[h][z[h] > 0 ? 1 : 0] * z[h];
  return s;
}

/** Provisional |z(x)| relative to its terms: ≈ 0 when x lies on this boundary. */
export function provisionalResidual(est: SignEstimate, z: Float64Array): number {
  let mag = Math.abs(est.bias);
  for (let h = 0; h < est.coef.length; h++) mag += Math.abs(est.coef[h][z[h] > 0 ? 1 : 0] * z[h]);
  return Math.abs(provisionalSum(est.coef, z) + est.bias) / (mag || 1);
}

export interface RowEstimate {
  /** Unit-norm weights over layer k−1 (activations with correct signs) and the bias. */
  w: Float64Array;
  b: number;
  /** Layer-(k−1) neurons never active at this boundary's points: their weights are undetermined (set to 0). */
  undetermined: number[];
  consistency: number;
  /** Set by refineDeeperRows: whether the row was refitted from precise kinks (false: it kept its measured value). */
  refined?: boolean;
}

/** Pass 2: z's row, with the signs of layer k−1 already applied (ẑ = z). */
export function solveRow(data: PointData[], H: number, nullTol: number): RowEstimate {
  const m = data.length;
  const active: number[] = [];
  const undetermined: number[] = [];
  for (let h = 0; h < H; h++) (data.some((p) => p.z[h] > 0) ? active : undetermined).push(h);
  const A = new Matrix(totalRows(data), active.length + m);
  let r0 = 0;
  data.forEach((p, i) => {
    const { d, grad, normal } = p.coords;
    active.forEach((h, c) => {
      if (p.z[h] <= 0) return;
      for (let r = 0; r < d; r++) A.set(r0 + r, c, grad[h * d + r]);
    });
    for (let r = 0; r < d; r++) A.set(r0 + r, active.length + i, -normal[r]);
    r0 += d;
  });
  const { v, rel } = nullVector(A, m, nullTol);
  const w = new Float64Array(H);
  active.forEach((h, c) => (w[h] = v[c]));
  let wn = 0;
  for (let h = 0; h < H; h++) wn += w[h] * w[h];
  wn = Math.sqrt(wn) || 1;
  for (let h = 0; h < H; h++) w[h] /= wn;
  let b = 0;
  for (const p of data) {
    let s = 0;
    for (let h = 0; h < H; h++) if (p.z[h] > 0) s += w[h] * p.z[h];
    b -= s;
  }
  return { w, b: b / m, undetermined, consistency: rel };
}

/**
 * One block's rows [T | C | y] replaced by the R of their QR (an orthogonal change of the block's rows: the least-squares
 * problem, its singular values and its solution are unchanged), when there are more rows than columns: a boundary
 * walked across many points has thousands of rows for a few dozen columns (10-8-8-8-2 seed 5: 17,217 × 240).
 */
function compress(T: Matrix, C: Matrix | null, y: Matrix): { T: Matrix; C: Matrix | null; y: Matrix } {
  const k = T.columns + (C?.columns ?? 0) + 1;
  if (T.rows <= k) return { T, C, y };
  const M = new Matrix(T.rows, k);
  M.setSubMatrix(T, 0, 0);
  if (C) M.setSubMatrix(C, 0, T.columns);
  M.setSubMatrix(y, 0, k - 1);
  const R = new QrDecomposition(M).upperTriangularMatrix;
  return {
    T: R.subMatrix(0, k - 1, 0, T.columns - 1),
    C: C ? R.subMatrix(0, k - 1, T.columns, T.columns + C.columns - 1) : null,
    y: R.subMatrix(0, k - 1, k - 1, k - 1),
  };
}

/**
 * Own columns (c_h of one boundary) this well conditioned (σ_min/σ_max) are eliminated from the joint sign system
 * before the one SVD; the others stay in it.
 */
const ELIMINATE_COND = 1e-6;

/**
 * Signs of layer k−1 from all explored layer-k boundaries at once (needed when its gradients are dependent, i.e.
 * the layer is wider than the input). With β and s_p of each boundary known, App. B's equation at every point
 *   Σ_{h varying} β_h t_h ∇ẑ_h(p) + Σ_{h constant} c_h ∇ẑ_h(p) = s_p g_p − Σ_{h varying} β_h σ_hp ∇ẑ_h(p)
 * is linear in the shared t_h and each boundary's own c_h. Returns t_h (≈ ±1; NaN when no boundary crossed h).
 *
 * The system is block-angular: a boundary's own c_h appear in its rows only. Where those columns C are well
 * conditioned, c = C⁺(y − T t) exactly, and the boundary contributes only its rows projected off C's span (variable
 * projection): the one SVD then has H columns plus those of ill-conditioned blocks, not H + Σ own (10-8-8-8-2 seed 5:
 * ~900 columns, 110 of the first 118 s in this SVD). An ill-conditioned block keeps its columns, so that the
 * truncated SVD decides there as before (eliminating those too flipped a sign of 8-10-8-2 seed 5). Each block's rows
 * are then compressed to its column count.
 */
export function jointSigns(sets: { data: PointData[]; est: SignEstimate }[], H: number): Float64Array {
  const blocks = sets.map(({ data, est }) => {
    const own = Array.from({ length: H }, (_, h) => h).filter((h) => !est.varying[h]);
    const n = totalRows(data);
    const T = new Matrix(n, H);
    const C = new Matrix(n, own.length);
    const y = new Matrix(n, 1);
    let r0 = 0;
    data.forEach((p, i) => {
      const { d, grad, normal } = p.coords;
      for (let r = 0; r < d; r++) {
        let rhs = est.pointScales[i] * normal[r];
        for (let h = 0; h < H; h++) {
          const g = grad[h * d + r];
          if (est.varying[h]) {
            T.set(r0 + r, h, T.get(r0 + r, h) + est.beta[h] * g);
            rhs -= est.beta[h] * Math.sign(p.z[h]) * g;
          }
        }
        own.forEach((h, c) => C.set(r0 + r, c, grad[h * d + r]));
        y.set(r0 + r, 0, rhs);
      }
      r0 += d;
    });
    if (own.length === 0) return compress(T, null, y);
    const dec = new SingularValueDecomposition(C, { autoTranspose: true });
    const sv = dec.diagonal;
    if (own.length > n || Math.min(...sv) <= ELIMINATE_COND * Math.max(...sv)) return compress(T, C, y);
    const U = dec.leftSingularVectors;
    const project = (M: Matrix) => M.clone().sub(U.mmul(U.transpose().mmul(M)));
    return compress(project(T), null, project(y));
  });
  const rows = blocks.reduce((t, b) => t + b.T.rows, 0);
  const cols = blocks.reduce((t, b) => t + (b.C?.columns ?? 0), H);
  const A = new Matrix(rows, cols);
  const y = new Matrix(rows, 1);
  let r0 = 0;
  let c0 = H;
  for (const b of blocks) {
    A.setSubMatrix(b.T, r0, 0);
    if (b.C) {
      A.setSubMatrix(b.C, r0, c0);
      c0 += b.C.columns;
    }
    y.setSubMatrix(b.y, r0, 0);
    r0 += b.T.rows;
  }
  const t = lstsqSvd(A, y, 1e-10).x.getColumn(0).slice(0, H);
  const seen = new Array<boolean>(H).fill(false);
  for (const { est } of sets) for (let h = 0; h < H; h++) if (est.varying[h] && est.beta[h] !== 0) seen[h] = true;
  return Float64Array.from(t, (v, h) => (seen[h] ? v : NaN));
}
