// Counts every input evaluated (the paper's "queries"), once, here; enforces the budget;
// validates every answer. Every extraction talks to the black box through one of these.
import { BudgetExceededError, checkOutputs, OracleError, type Oracle } from './types.js';

export class CountingOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  private used = 0;
  private calls = 0;
  /** Queries per named phase (set by the extraction driver). */
  readonly byPhase = new Map<string, number>();
  phase = 'other';

  constructor(
    private readonly inner: Oracle,
    readonly budget = Infinity,
    private readonly source = 'black box',
  ) {
    this.inputDim = inner.inputDim;
    this.outputDim = inner.outputDim;
  }

  get queries(): number {
    return this.used;
  }
  get batches(): number {
    return this.calls;
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    if (n === 0) return new Float64Array(0);
    if (xs.length !== n * this.inputDim) {
      throw new OracleError(`internal: query of ${n} inputs given ${xs.length} numbers (input dimension ${this.inputDim})`);
    }
    if (this.used + n > this.budget) throw new BudgetExceededError(this.budget, this.used, n);
    this.used += n;
    this.calls++;
    this.byPhase.set(this.phase, (this.byPhase.get(this.phase) ?? 0) + n);
    const ys = await this.inner.query(xs, n);
    return checkOutputs(ys, n, this.outputDim, this.source);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
