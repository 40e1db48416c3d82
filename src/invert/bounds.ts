// Interval bounds on every pre-activation for inputs in a box: the big-M constants of the MIP.
import type { Network } from '../network/types.js';

export interface Box {
  lower: Float64Array;
  upper: Float64Array;
}

/** The box [−r, r]^n. */
export function cube(n: number, r: number): Box {
  return { lower: new Float64Array(n).fill(-r), upper: new Float64Array(n).fill(r) };
}

/** [lower, upper] of the pre-activations of layers 1..k over the box (interval arithmetic). */
export function preActivationBounds(net: Network, k: number, box: Box): Box[] {
  const out: Box[] = [];
  let lo = box.lower;
  let hi = box.upper;
  for (let j = 0; j < k; j++) {
    const { W, b, inDim, outDim } = net.layers[j];
    const zl = Float64Array.from(b);
    const zu = Float64Array.from(b);
    for (let r = 0; r < outDim; r++) {
      for (let i = 0; i < inDim; i++) {
        const w = W[r * inDim + i];
        if (w >= 0) {
          zl[r] += w * lo[i];
          zu[r] += w * hi[i];
        } else {
          zl[r] += w * hi[i];
          zu[r] += w * lo[i];
        }
      }
    }
    out.push({ lower: zl, upper: zu });
    lo = zl.map((v) => Math.max(0, v));
    hi = zu.map((v) => Math.max(0, v));
  }
  return out;
}
