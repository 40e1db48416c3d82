// What a network computes up to layer k, and which neurons are active there ("after layer k" means
// after its ReLU for a hidden layer; the network's last layer is linear).
import { preActivations } from '../network/forward.js';
import type { Network } from '../network/types.js';

/** Output after layers 1..k for one input x (k = number of layers: the network's output). */
export function outputAfter(net: Network, x: Float64Array, k: number): Float64Array {
  const z = preActivations(net, x, 1)[k - 1];
  return k < net.layers.length ? z.map((v) => (v > 0 ? v : 0)) : z;
}

/** pattern[j][i] = 1 when neuron i of layer j + 1 has a positive pre-activation at x, for layers 1..k. */
export function activationPattern(net: Network, x: Float64Array, k: number): Uint8Array[] {
  return preActivations(net, x, 1)
    .slice(0, k)
    .map((z) => Uint8Array.from(z, (v) => (v > 0 ? 1 : 0)));
}
