// Stability of inversion (seed 004 slides 13–19): on the linear region P of x the network is
// F(x) = A_P x + b_P with A_P = W_L D_{L−1} W_{L−1} ⋯ D_1 W_1 (slide 15), and for x, x' in
// P ∩ N(A_P)^⊥,  σ_min ‖x − x'‖ ≤ ‖A_P (x − x')‖ ≤ σ_max ‖x − x'‖  (slide 14), with σ_min the
// smallest NON-ZERO singular value. So 1/σ_min bounds how much an output error can grow when
// inverting, and σ_max/σ_min (the condition number) the relative growth. The spectra per layer
// prefix show where information is lost: ReLU removes rows (D_j), and the small singular values
// decay with depth (slides 16–19).
import { singularValues } from '../linalg/rrqr.js';
import { median } from '../linalg/vec.js';
import type { Network } from '../network/types.js';
import { activationPattern } from './activations.js';
import { regionAffineMaps } from './affine.js';

export interface LayerSpectrum {
  /** 1-based layer. */
  layer: number;
  /**
   * 'pre': the map x ↦ z_k = W_k D_{k−1} ⋯ D_1 W_1 x (before layer k's ReLU; for the last layer, the
   * network's A_P). 'post': x ↦ D_k z_k, the ReLU output of a hidden layer (its inactive rows removed).
   */
  stage: 'pre' | 'post';
  /** Rows of the map (for 'post': active neurons only — the other rows are zero). */
  rows: number;
  /** All min(rows, n) singular values, descending. */
  singularValues: number[];
  /** Singular values above max(rows, n) · ε · σ_max (numpy's matrix_rank rule). */
  rank: number;
  sigmaMax: number;
  /** Smallest non-zero singular value (NaN when the map is zero). */
  sigmaMinNonzero: number;
  /** σ_max / σ_min≠0 (NaN when the map is zero). */
  condition: number;
}

/** The Jacobian of every layer's pre-activation (and of every hidden layer's ReLU output) at x. */
export function layerJacobians(net: Network, x: Float64Array): { layer: number; stage: 'pre' | 'post'; J: Float64Array; rows: number; cols: number }[] {
  const L = net.layers.length;
  const n = net.layers[0].inDim;
  const pattern = activationPattern(net, x, L);
  const maps = regionAffineMaps(net, L, pattern);
  const out: { layer: number; stage: 'pre' | 'post'; J: Float64Array; rows: number; cols: number }[] = [];
  maps.forEach((m, j) => {
    out.push({ layer: j + 1, stage: 'pre', J: m.M, rows: m.rows, cols: n });
    if (j < L - 1) {
      const active = [...pattern[j].keys()].filter((i) => pattern[j][i]);
      const J = new Float64Array(active.length * n);
      active.forEach((i, r) => J.set(m.M.subarray(i * n, (i + 1) * n), r * n));
      out.push({ layer: j + 1, stage: 'post', J, rows: active.length, cols: n });
    }
  });
  return out;
}

/** Singular-value spectra of every layer prefix of the linearization at x. */
export function spectraAt(net: Network, x: Float64Array): LayerSpectrum[] {
  return layerJacobians(net, x).map(({ layer, stage, J, rows, cols }) => spectrumOf(layer, stage, J, rows, cols));
}

export function spectrumOf(layer: number, stage: 'pre' | 'post', J: Float64Array, rows: number, cols: number): LayerSpectrum {
  const s = rows === 0 ? [] : singularValues(J, rows, cols);
  const sigmaMax = s.length ? s[0] : 0;
  const tol = Math.max(rows, cols) * Number.EPSILON * sigmaMax;
  const nonzero = s.filter((v) => v > tol);
  const sigmaMinNonzero = nonzero.length ? nonzero[nonzero.length - 1] : NaN;
  return { layer, stage, rows, singularValues: s, rank: nonzero.length, sigmaMax, sigmaMinNonzero, condition: sigmaMax / sigmaMinNonzero };
}

/** Over a sample of points: per layer and stage, the spread of rank, σ_min≠0 and condition number. */
export interface SpectrumSummary {
  layer: number;
  stage: 'pre' | 'post';
  points: number;
  rank: { min: number; median: number; max: number };
  sigmaMax: { min: number; median: number; max: number };
  sigmaMinNonzero: { min: number; median: number; max: number };
  condition: { min: number; median: number; max: number };
}

export function summarizeSpectra(perPoint: LayerSpectrum[][]): SpectrumSummary[] {
  if (perPoint.length === 0) return [];
  return perPoint[0].map((first, idx) => {
    const all = perPoint.map((sp) => sp[idx]);
    return {
      layer: first.layer,
      stage: first.stage,
      points: all.length,
      rank: spread(all.map((s) => s.rank)),
      sigmaMax: spread(all.map((s) => s.sigmaMax)),
      sigmaMinNonzero: spread(all.map((s) => s.sigmaMinNonzero)),
      condition: spread(all.map((s) => s.condition)),
    };
  });
}

/** min / median / max, ignoring NaN (NaN when all are). */
function spread(values: number[]): { min: number; median: number; max: number } {
  const v = values.filter((t) => !Number.isNaN(t));
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
  return { min: Math.min(...v), median: median(v), max: Math.max(...v) };
}
