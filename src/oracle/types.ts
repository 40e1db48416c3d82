// The black box. Queries are the currency: algorithms ask for many inputs in one call.

export interface Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  /** n inputs, row-major (n × inputDim) → n outputs, row-major (n × outputDim). */
  query(xs: Float64Array, n: number): Promise<Float64Array>;
  /** Release resources (sessions, sockets, child processes). */
  close?(): Promise<void>;
}

/** Base of every error that comes from asking the black box. */
export class OracleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleError';
  }
}

/** The query budget ran out. */
export class BudgetExceededError extends OracleError {
  constructor(
    readonly budget: number,
    readonly used: number,
    readonly requested: number,
  ) {
    super(`query budget exhausted: ${used} of ${budget} queries used, ${requested} more requested`);
    this.name = 'BudgetExceededError';
  }
}

/** The black box answered something that is not n × outputDim finite numbers. */
export class BadOutputError extends OracleError {
  constructor(message: string) {
    super(message);
    this.name = 'BadOutputError';
  }
}

/** Check an answer's shape and values; throws BadOutputError naming the first problem. */
export function checkOutputs(ys: Float64Array, n: number, outputDim: number, source: string): Float64Array {
  if (ys.length !== n * outputDim) {
    throw new BadOutputError(`${source} returned ${ys.length} numbers for ${n} inputs, expected ${n * outputDim} (${outputDim} per input)`);
  }
  for (let i = 0; i < ys.length; i++) {
    if (!Number.isFinite(ys[i])) {
      throw new BadOutputError(`${source} returned ${ys[i]} for input ${Math.floor(i / outputDim)}, output ${i % outputDim}`);
    }
  }
  return ys;
}
