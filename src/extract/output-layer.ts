// Signs of the last hidden layer and the output layer (DESIGN §4.5–4.6).
//
// With the last hidden layer's rows ŵ_h known only up to sign, ReLU(−u) = ReLU(u) − u means a wrongly signed
// neuron h contributes V_h·ReLU(ŵ_h a + b̂_h) − V_h·(ŵ_h a + b̂_h): an affine residue in the previous layer's
// activations a. Fitting N(x) ≈ V·ReLU(Ŵa + b̂) + A·a + c by least squares and solving
//   A = −Σ_h s_h V_{·h} ŵ_hᵀ,  s_h ∈ {0, 1}
// (n_out·n_{L−1} equations, n_L unknowns) gives the flipped neurons s_h = 1. Then V, c are refitted with A = 0.
// When there are fewer equations than neurons (a narrow output on a wide last layer, e.g. 10-16-1), least squares
// cannot pick the binary solution; a small MIP does (min ‖S s − r‖₁ over s ∈ {0,1}^n_L: generically unique, since
// a random subspace holds no {−1,0,1} vector).
import { Matrix } from 'ml-matrix';
import { filled, solveLp } from '../invert/lp.js';
import { lstsqSvd } from '../linalg/solve.js';
import type { Row } from './first-layer.js';

export interface OutputFit {
  flips: boolean[];
  /** How far the least-squares s_h were from {0, 1} (max distance); small when the signs are certain. */
  signAmbiguity: number;
  /** Output layer n_out × n_L (row-major) and bias. */
  V: Float64Array;
  c: Float64Array;
  /** Relative residual of the final fit on the sample points. */
  residual: number;
}

/** The rows' pre-activations ẑ_h at the m sample points (m × n_L). */
function preActivations(rows: Row[], acts: Float64Array, m: number, d: number): Matrix {
  const Z = new Matrix(m, rows.length);
  for (let s = 0; s < m; s++) {
    rows.forEach((r, h) => {
      let z = r.b;
      for (let i = 0; i < d; i++) z += r.w[i] * acts[s * d + i];
      Z.set(s, h, z);
    });
  }
  return Z;
}

/** ReLU(±ẑ_h), the sign flipped for the neurons in `flips`. */
function hiddenFeatures(Z: Matrix, flips?: boolean[]): Matrix {
  const H = new Matrix(Z.rows, Z.columns);
  for (let s = 0; s < Z.rows; s++) {
    for (let h = 0; h < Z.columns; h++) {
      const z = flips?.[h] ? -Z.get(s, h) : Z.get(s, h);
      H.set(s, h, z > 0 ? z : 0);
    }
  }
  return H;
}

/**
 * @param acts  activations of the layer before the last hidden layer at m sample points (m × d; the input for
 *              one-hidden-layer networks)
 * @param ys    the black box's outputs at those points (m × nOut)
 */
export async function fitOutputLayer(rows: Row[], acts: Float64Array, ys: Float64Array, m: number, d: number, nOut: number): Promise<OutputFit> {
  const nL = rows.length;
  const Y = new Matrix(m, nOut);
  for (let s = 0; s < m; s++) for (let o = 0; o < nOut; o++) Y.set(s, o, ys[s * nOut + o]);
  const Z = preActivations(rows, acts, m, d);
  const H = hiddenFeatures(Z);
  if (nL + 1 <= d) return fitByPreActivations(Z, H, Y);
  // Step 1: [H | a | 1] θ = Y.
  const F = new Matrix(m, nL + d + 1);
  for (let s = 0; s < m; s++) {
    for (let h = 0; h < nL; h++) F.set(s, h, H.get(s, h));
    for (let i = 0; i < d; i++) F.set(s, nL + i, acts[s * d + i]);
    F.set(s, nL + d, 1);
  }
  const theta = lstsqSvd(F, Y, 1e-13).x;
  // Step 2: A_{oi} = −Σ_h s_h V_{oh} w_{hi}.
  const S = new Matrix(nOut * d, nL);
  const rhs = new Matrix(nOut * d, 1);
  for (let o = 0; o < nOut; o++) {
    for (let i = 0; i < d; i++) {
      rhs.set(o * d + i, 0, -theta.get(nL + i, o));
      for (let h = 0; h < nL; h++) S.set(o * d + i, h, theta.get(h, o) * rows[h].w[i]);
    }
  }
  const s = settleConstant(Z, lstsqSvd(S, rhs, 1e-12).x.getColumn(0));
  let flips = s.map((v) => v > 0.5);
  let signAmbiguity = Math.max(0, ...s.map((v) => Math.min(Math.abs(v), Math.abs(v - 1))));
  if (signAmbiguity > 0.01) {
    const binary = await binarySigns(S, rhs);
    if (binary && binary.residual < signAmbiguity) ({ flips, residual: signAmbiguity } = binary);
  }
  return refit(Z, Y, flips, signAmbiguity);
}

/**
 * When the rows' pre-activations ẑ_h are affinely independent (n_L ≤ d), the residue can be fitted on them directly:
 * N(x) ≈ Σ_h V_h ReLU(ẑ_h) + Σ_h U_h ẑ_h + c gives U_h = −s_h V_h per neuron, on 2n_L + 1 columns instead of
 * n_L + d + 1 (784-128-10: 257 instead of 913, and the SVD ~15× faster).
 */
function fitByPreActivations(Z: Matrix, H: Matrix, Y: Matrix): OutputFit {
  const m = Z.rows;
  const nL = Z.columns;
  const nOut = Y.columns;
  const F = new Matrix(m, 2 * nL + 1);
  for (let r = 0; r < m; r++) {
    for (let h = 0; h < nL; h++) {
      F.set(r, h, H.get(r, h));
      F.set(r, nL + h, Z.get(r, h));
    }
    F.set(r, 2 * nL, 1);
  }
  const theta = lstsqSvd(F, Y, 1e-13).x;
  const s = Array.from({ length: nL }, (_, h) => {
    let num = 0;
    let den = 0;
    for (let o = 0; o < nOut; o++) {
      num -= theta.get(nL + h, o) * theta.get(h, o);
      den += theta.get(h, o) ** 2;
    }
    return den > 0 ? num / den : 0;
  });
  const settled = settleConstant(Z, s);
  const flips = settled.map((v) => v > 0.5);
  const signAmbiguity = Math.max(0, ...settled.map((v) => Math.min(Math.abs(v), Math.abs(v - 1))));
  return refit(Z, Y, flips, signAmbiguity);
}

/**
 * A neuron on at every sample point is affine there, so the fit cannot tell its sign (its feature column is a
 * combination of the a-columns): it keeps its sign (s_h = 0), which represents it exactly where sampled (an
 * always-on neuron, always-on.ts). One off everywhere is left to the fit: it may be a rarely active neuron.
 */
function settleConstant(Z: Matrix, s: number[]): number[] {
  return s.map((v, h) => (Z.getColumn(h).every((z) => z > 0) ? 0 : v));
}

/** Step 3: V, c by least squares on the sign-corrected features. */
function refit(Z: Matrix, Y: Matrix, flips: boolean[], signAmbiguity: number): OutputFit {
  const m = Z.rows;
  const nL = Z.columns;
  const nOut = Y.columns;
  const H2 = hiddenFeatures(Z, flips);
  const G = new Matrix(m, nL + 1);
  for (let r = 0; r < m; r++) {
    for (let h = 0; h < nL; h++) G.set(r, h, H2.get(r, h));
    G.set(r, nL, 1);
  }
  // Minimum-norm solution: a neuron that never changes state on the samples cannot be told from the bias.
  const x = lstsqSvd(G, Y, 1e-13).x;
  const R = G.mmul(x).sub(Y);
  const V = new Float64Array(nOut * nL);
  const c = new Float64Array(nOut);
  for (let o = 0; o < nOut; o++) {
    for (let h = 0; h < nL; h++) V[o * nL + h] = x.get(h, o);
    c[o] = x.get(nL, o);
  }
  const yNorm = Math.sqrt(Y.to1DArray().reduce((t, v) => t + v * v, 0)) || 1;
  return { flips, signAmbiguity, V, c, residual: Math.sqrt(R.to1DArray().reduce((t, v) => t + v * v, 0)) / yNorm };
}

/**
 * min ‖S s − r‖₁ over s ∈ {0,1}^k as a MIP (S s − r = e⁺ − e⁻, e± ≥ 0). Returns the flips and the residual relative
 * to ‖r‖₁ (≈ 0 when the affine residue is exactly a signed sum of the rows), or null when HiGHS found nothing.
 */
async function binarySigns(S: Matrix, r: Matrix): Promise<{ flips: boolean[]; residual: number } | null> {
  const rows = S.rows;
  const k = S.columns;
  const numCols = k + 2 * rows;
  const A = new Float64Array(rows * numCols);
  const b = new Float64Array(rows);
  let norm1 = 0;
  for (let i = 0; i < rows; i++) {
    for (let h = 0; h < k; h++) A[i * numCols + h] = S.get(i, h);
    A[i * numCols + k + i] = -1;
    A[i * numCols + k + rows + i] = 1;
    b[i] = r.get(i, 0);
    norm1 += Math.abs(b[i]);
  }
  const cost = new Float64Array(numCols);
  cost.fill(1, k);
  const integer = new Uint8Array(numCols);
  integer.fill(1, 0, k);
  const colUpper = filled(numCols, Infinity);
  colUpper.fill(1, 0, k);
  let res;
  try {
    res = await solveLp({ numCols, numRows: rows, A, rowLower: b, rowUpper: b, colLower: filled(numCols, 0), colUpper, cost, integer, timeLimit: 30 });
  } catch {
    return null; // HiGHS gave up on the model (badly scaled rows): the least-squares signs stand, reported ambiguous
  }
  if (!res.x || res.objective === undefined) return null;
  return { flips: Array.from(res.x.subarray(0, k), (v) => v > 0.5), residual: res.objective / (norm1 || 1) };
}
