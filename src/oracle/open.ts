// Build the black box the user named on the command line (--model FILE, ...), wrapped in a CountingOracle.
import { loadNetwork } from '../network/load.js';
import { CountingOracle } from './counting.js';
import { LocalOracle } from './local.js';
import type { Oracle } from './types.js';

export interface OracleSpec {
  model?: string;
  budget?: number;
}

export async function openSource(spec: OracleSpec): Promise<{ oracle: Oracle; label: string }> {
  if (spec.model) return { oracle: new LocalOracle(await loadNetwork(spec.model)), label: spec.model };
  throw new Error('no black box given: use --model FILE');
}

export async function openOracle(spec: OracleSpec): Promise<{ oracle: CountingOracle; label: string }> {
  const { oracle, label } = await openSource(spec);
  return { oracle: new CountingOracle(oracle, spec.budget ?? Infinity, label), label };
}
