// State shared by the phases of one extraction: the counted black box, randomness, tolerances, progress.
import type { Rng } from '../network/random.js';
import type { CountingOracle } from '../oracle/counting.js';
import type { Tolerances } from '../geometry/tolerances.js';
import type { ProgressSink } from './events.js';

export interface ExtractContext {
  oracle: CountingOracle;
  /** The search's randomness (lines, test directions). */
  rng: Rng;
  /**
   * The fits' and checks' random inputs (output layer, verification, always-on): a stream of their own, so that how
   * many points they take does not change which lines the search draws afterwards. Without it they share `rng`.
   */
  sampleRng?: Rng;
  tol: Tolerances;
  /** Typical input magnitude per coordinate (where the network is used). */
  scale: number;
  progress: ProgressSink;
}

export function report(ctx: ExtractContext, phase: string, message: string, done?: number, total?: number): void {
  ctx.oracle.phase = phase;
  ctx.progress({ phase, message, done, total, queries: ctx.oracle.queries });
}
