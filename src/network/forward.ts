// Batched forward pass in float64: n inputs row-major in, n outputs row-major out.
import type { Layer, Network } from './types.js';

/** y = W x + b for n row-major inputs; optional ReLU. */
export function layerForward(layer: Layer, xs: Float64Array, n: number, relu: boolean): Float64Array {
  const { W, b, inDim, outDim } = layer;
  const out = new Float64Array(n * outDim);
  for (let s = 0; s < n; s++) {
    const xo = s * inDim;
    const yo = s * outDim;
    for (let j = 0; j < outDim; j++) {
      const wo = j * inDim;
      let acc = b[j];
      for (let i = 0; i < inDim; i++) acc += W[wo + i] * xs[xo + i];
      out[yo + j] = relu && acc < 0 ? 0 : acc;
    }
  }
  return out;
}

export function forward(net: Network, xs: Float64Array, n: number): Float64Array {
  let h = xs;
  const L = net.layers.length;
  for (let k = 0; k < L; k++) h = layerForward(net.layers[k], h, n, k < L - 1);
  return h;
}

/**
 * Pre-activations of every layer (before ReLU) for n inputs: result[k] is n × outDim of layer k.
 */
export function preActivations(net: Network, xs: Float64Array, n: number): Float64Array[] {
  const res: Float64Array[] = [];
  let h = xs;
  const L = net.layers.length;
  for (let k = 0; k < L; k++) {
    const z = layerForward(net.layers[k], h, n, false);
    res.push(z);
    if (k < L - 1) {
      h = z.map((v) => (v < 0 ? 0 : v));
    }
  }
  return res;
}
