// Untrained targets as in seed 001 §6: W ~ N(0, 2/fan_in), b ~ N(0, 1).
import { makeRng, type Rng } from './random.js';
import type { Network } from './types.js';

export function randomNetwork(dims: number[], seed: number | Rng): Network {
  const rng = typeof seed === 'number' ? makeRng(seed) : seed;
  const layers = [];
  for (let k = 1; k < dims.length; k++) {
    const inDim = dims[k - 1];
    const outDim = dims[k];
    const sd = Math.sqrt(2 / inDim);
    const W = new Float64Array(inDim * outDim);
    for (let i = 0; i < W.length; i++) W[i] = sd * rng.normal();
    const b = new Float64Array(outDim);
    for (let i = 0; i < outDim; i++) b[i] = rng.normal();
    layers.push({ inDim, outDim, W, b });
  }
  return { layers, activation: 'relu' };
}
