// Read a model file of any supported kind into a Network, by extension.
import { readNetworkJson } from './format.js';
import type { Network } from './types.js';

export async function loadNetwork(path: string): Promise<Network> {
  return readNetworkJson(path);
}
