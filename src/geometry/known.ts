// What the extraction already knows: hidden layers 1..k (the last possibly with unknown signs, which do not move
// any boundary). Gives pre-activations, local gradients, ClosestBoundary (seed 001 §4.3) and whether a boundary
// point is explained by a known neuron.
import { forward, layerForward, preActivations } from '../network/forward.js';
import type { Layer, Network } from '../network/types.js';
import { dot, norm } from '../linalg/vec.js';

export interface NeuronRef {
  layer: number; // 0-based hidden layer
  index: number;
}

export class KnownLayers {
  private readonly net: Network;
  constructor(readonly layers: Layer[]) {
    this.net = { layers, activation: 'relu' };
  }

  get depth(): number {
    return this.layers.length;
  }

  /** Pre-activations of every known layer at one point. */
  preActs(x: Float64Array): Float64Array[] {
    return preActivations(this.net, x, 1);
  }

  /**
   * Pre-activations of every known layer along the line origin + t·dir. The first layer is affine in t, so it is
   * evaluated once for the line: each t then costs the deeper layers only (no pass over the n inputs).
   */
  alongLine(origin: Float64Array, dir: Float64Array): (t: number) => Float64Array[] {
    const [first, ...rest] = this.layers;
    const a = layerForward(first, origin, 1, false);
    const c = layerForward({ ...first, b: new Float64Array(first.outDim) }, dir, 1, false);
    return (t) => {
      const z = Float64Array.from(a, (v, j) => v + t * c[j]);
      if (rest.length === 0) return [z];
      return [z, ...preActivations({ layers: rest, activation: 'relu' }, z.map((v) => (v < 0 ? 0 : v)), 1)];
    };
  }

  /** Post-ReLU activations of the last known layer for n points (its signs must be known). */
  activations(xs: Float64Array, n: number): Float64Array {
    return forward(this.net, xs, n).map((v) => (v < 0 ? 0 : v));
  }

  /**
   * Local gradients ∂z/∂x of every known neuron at x (the region's linear map), row-major per layer
   * (outDim × inputDim), plus the pre-activations.
   */
  localGradients(x: Float64Array): { z: Float64Array[]; grad: Float64Array[] } {
    const z = this.preActs(x);
    const n = x.length;
    const grads: Float64Array[] = [];
    let prev: Float64Array | null = null; // ∂a_{k−1}/∂x (post-ReLU), null = identity
    this.layers.forEach((L, k) => {
      const G = new Float64Array(L.outDim * n);
      for (let j = 0; j < L.outDim; j++) {
        for (let i = 0; i < L.inDim; i++) {
          const w = L.W[j * L.inDim + i];
          if (w === 0) continue;
          if (prev === null) {
            G[j * n + i] += w;
          } else {
            for (let c = 0; c < n; c++) G[j * n + c] += w * prev[i * n + c];
          }
        }
      }
      grads.push(G);
      // Apply the ReLU pattern to get ∂a_k/∂x.
      const A = new Float64Array(G.length);
      for (let j = 0; j < L.outDim; j++) if (z[k][j] > 0) A.set(G.subarray(j * n, (j + 1) * n), j * n);
      prev = A;
    });
    return { z, grad: grads };
  }

  /**
   * ClosestBoundary (seed 001 §4.3): the smallest c > 0 such that p + c·v lies on the boundary of a known neuron.
   * Inside p's region every pre-activation is affine along v; the first zero crossing among them is the answer
   * (the closest boundary always meets p's region). `local` is p's localGradients when the caller has them.
   */
  closestBoundary(
    p: Float64Array,
    v: Float64Array,
    exclude?: NeuronRef,
    local: { z: Float64Array[]; grad: Float64Array[] } = this.localGradients(p),
  ): { c: number; neuron: NeuronRef } | null {
    const { z, grad } = local;
    const n = p.length;
    let best: { c: number; neuron: NeuronRef } | null = null;
    this.layers.forEach((L, k) => {
      for (let j = 0; j < L.outDim; j++) {
        if (exclude && exclude.layer === k && exclude.index === j) continue;
        const rate = dot(grad[k].subarray(j * n, (j + 1) * n), v);
        if (rate === 0) continue;
        const c = -z[k][j] / rate;
        if (c > 0 && (!best || c < best.c)) best = { c, neuron: { layer: k, index: j } };
      }
    });
    return best;
  }

  /**
   * Euclidean distance from x to the nearest known boundary, measured inside x's region (a lower bound on how far
   * x can move without changing any known neuron's state), and the neuron it belongs to.
   */
  nearestBoundary(x: Float64Array): { distance: number; neuron: NeuronRef } {
    const { z, grad } = this.localGradients(x);
    const n = x.length;
    let best = { distance: Infinity, neuron: { layer: -1, index: -1 } };
    this.layers.forEach((L, k) => {
      for (let j = 0; j < L.outDim; j++) {
        const g = norm(grad[k].subarray(j * n, (j + 1) * n));
        if (g === 0) continue;
        const d = Math.abs(z[k][j]) / g;
        if (d < best.distance) best = { distance: d, neuron: { layer: k, index: j } };
      }
    });
    return best;
  }
}
