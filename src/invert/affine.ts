// On one activation region a ReLU network is affine (seed 004 slides 13–15): with D_j the 0/1
// diagonal of layer j's active neurons, every pre-activation is z_j = M_j x + c_j where
//   M_1 = W_1, c_1 = b_1,   M_j = W_j D_{j−1} M_{j−1},   c_j = W_j D_{j−1} c_{j−1} + b_j.
// M_L = W_L D_{L−1} W_{L−1} ⋯ D_1 W_1 is the seed's linearization A_P.
import type { Network } from '../network/types.js';

export interface AffineMap {
  /** Row-major outDim × inputDim. */
  M: Float64Array;
  c: Float64Array;
  rows: number;
  cols: number;
}

/**
 * The affine maps of the pre-activations of layers 1..k on the region with the given activation
 * pattern (pattern[j][i] = 1 when neuron i of layer j + 1 is active; patterns for layers 1..k−1 are used).
 */
export function regionAffineMaps(net: Network, k: number, pattern: Uint8Array[]): AffineMap[] {
  const n = net.layers[0].inDim;
  const maps: AffineMap[] = [];
  for (let j = 0; j < k; j++) {
    const { W, b, inDim, outDim } = net.layers[j];
    const M = new Float64Array(outDim * n);
    const c = Float64Array.from(b);
    if (j === 0) {
      M.set(W);
    } else {
      const prev = maps[j - 1];
      const active = pattern[j - 1];
      for (let r = 0; r < outDim; r++) {
        const row = M.subarray(r * n, (r + 1) * n);
        let acc = c[r];
        for (let i = 0; i < inDim; i++) {
          const w = W[r * inDim + i];
          if (w === 0 || !active[i]) continue;
          acc += w * prev.c[i];
          const pr = i * n;
          for (let l = 0; l < n; l++) row[l] += w * prev.M[pr + l];
        }
        c[r] = acc;
      }
    }
    maps.push({ M, c, rows: outDim, cols: n });
  }
  return maps;
}
