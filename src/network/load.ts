// Read or write a model file of any supported kind, by extension: .onnx is ONNX, anything else relurev-mlp JSON.
import { extname } from 'node:path';
import { readNetworkJson, writeNetworkJson } from './format.js';
import { readOnnxNetwork, writeOnnxNetwork } from './onnx.js';
import type { Network } from './types.js';

export function isOnnxPath(path: string): boolean {
  return extname(path).toLowerCase() === '.onnx';
}

export async function loadNetwork(path: string): Promise<Network> {
  return isOnnxPath(path) ? readOnnxNetwork(path) : readNetworkJson(path);
}

export interface SaveExtra {
  meta?: Record<string, unknown>;
  /** Set on a partial result written after a failure. */
  partial?: boolean;
  /** Element type of an ONNX file (default float64; JSON is always float64). */
  onnxType?: 'float64' | 'float32';
}

export function saveNetwork(path: string, net: Network, extra: SaveExtra = {}): void {
  if (isOnnxPath(path)) writeOnnxNetwork(path, net, { dtype: extra.onnxType, meta: extra.meta, partial: extra.partial });
  else writeNetworkJson(path, net, { meta: extra.meta, partial: extra.partial });
}
