// The extraction context the unit tests build: the network `net` as a counted float64 local black box, searched
// with the randomness `rng`, inputs at scale 1, no progress output.
import type { ExtractContext } from '../src/extract/context.js';
import { Tolerances } from '../src/geometry/tolerances.js';
import type { Rng } from '../src/network/random.js';
import type { Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { LocalOracle } from '../src/oracle/local.js';

export function localContext(net: Network, rng: Rng): ExtractContext {
  return { oracle: new CountingOracle(new LocalOracle(net)), rng, tol: Tolerances.for('float64'), scale: 1, progress: () => {} };
}
