// The relurev-mlp JSON file format (other tools read it; keep it exactly):
// {"format": "relurev-mlp", "version": 1, "activation": "relu",
//  "layers": [{"weights": [[...], ...], "biases": [...]}, ...]}
// weights are [out][in] (y = W x + b, as PyTorch's nn.Linear.weight); every layer but the last is followed by ReLU.
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Layer, Network } from './types.js';

/** A user-facing error about a model file: one line, names the problem. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

const finite = z.number({ error: (iss) => (iss.input === undefined ? 'missing number' : `not a number (${JSON.stringify(iss.input)})`) });
const layerSchema = z.object({
  weights: z.array(z.array(finite)).min(1, 'empty weights'),
  biases: z.array(finite).min(1, 'empty biases'),
});
const fileSchema = z.object({
  format: z.literal('relurev-mlp'),
  version: z.literal(1),
  activation: z.literal('relu'),
  layers: z.array(layerSchema).min(1, 'no layers'),
  /** Optional free-form provenance (architecture, seed, how it was made). Ignored on read. */
  meta: z.record(z.string(), z.unknown()).optional(),
  /** Set on a partial result written after a failure. */
  partial: z.boolean().optional(),
});

function issuePath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Validate parsed JSON into a Network; errors name the exact field and problem. */
export function networkFromJson(data: unknown, source = 'model'): Network {
  // JSON has no NaN; a NaN or Infinity can only come from a non-JSON writer as null or a string.
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new ModelFormatError(`${source}: ${issuePath(iss.path) || 'file'}: ${iss.message}`);
  }
  const layers: Layer[] = [];
  let prevOut = -1;
  parsed.data.layers.forEach((l, k) => {
    const outDim = l.weights.length;
    const inDim = l.weights[0].length;
    if (inDim === 0) throw new ModelFormatError(`${source}: layers[${k}].weights[0]: empty row`);
    l.weights.forEach((row, j) => {
      if (row.length !== inDim) {
        throw new ModelFormatError(`${source}: layers[${k}].weights[${j}]: has ${row.length} entries, expected ${inDim} (like row 0)`);
      }
      row.forEach((v, i) => {
        if (!Number.isFinite(v)) throw new ModelFormatError(`${source}: layers[${k}].weights[${j}][${i}]: not finite (${v})`);
      });
    });
    if (l.biases.length !== outDim) {
      throw new ModelFormatError(`${source}: layers[${k}].biases: has ${l.biases.length} entries, expected ${outDim} (one per weight row)`);
    }
    if (prevOut >= 0 && inDim !== prevOut) {
      throw new ModelFormatError(`${source}: layers[${k}].weights: input size ${inDim} does not match layer ${k - 1}'s output size ${prevOut}`);
    }
    prevOut = outDim;
    layers.push({ inDim, outDim, W: Float64Array.from(l.weights.flat()), b: Float64Array.from(l.biases) });
  });
  return { layers, activation: 'relu' };
}

export function networkToJson(net: Network, extra: { meta?: Record<string, unknown>; partial?: boolean } = {}): object {
  return {
    format: 'relurev-mlp',
    version: 1,
    activation: 'relu',
    layers: net.layers.map((l) => ({
      weights: Array.from({ length: l.outDim }, (_, j) => Array.from(l.W.subarray(j * l.inDim, (j + 1) * l.inDim))),
      biases: Array.from(l.b),
    })),
    ...(extra.partial ? { partial: true } : {}),
    ...(extra.meta ? { meta: extra.meta } : {}),
  };
}

export function readNetworkJson(path: string): Network {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelFormatError(`cannot read model file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return networkFromJson(data, path);
}

export function writeNetworkJson(path: string, net: Network, extra: { meta?: Record<string, unknown>; partial?: boolean } = {}): void {
  // Numbers print with full float64 round-trip precision (JSON.stringify uses shortest round-trip form).
  writeFileSync(path, JSON.stringify(networkToJson(net, extra)) + '\n');
}
