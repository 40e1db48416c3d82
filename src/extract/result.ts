// What an extraction returns.
import type { Network } from '../network/types.js';

export interface Unresolved {
  layer: number;
  neuron?: number;
  reason: string;
}

export interface ExtractResult {
  network: Network | null;
  complete: boolean;
  partial: boolean;
  widths: number[];
  queries: number;
  seconds: number;
  unresolved: Unresolved[];
  /** Recovered, but worth knowing (e.g. lower precision for some neurons). */
  notes: string[];
  /** Queries per phase. */
  phases: Record<string, number>;
  /** max |N̂(x) − N(x)| / max |N(x)| on fresh random queries. */
  verificationError?: number;
  error?: string;
}
