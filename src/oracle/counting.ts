// Counts every input evaluated (the paper's "queries"), once, here; enforces the budget;
// validates every answer; serves and appends the query log. Every extraction talks to the black box
// through one of these.
//
// Counts: `queries` is every input the extraction asked, whether the black box answered it now (`fresh`)
// or the query log replayed it (`replayed`); it is the same number for an uninterrupted run and a resumed
// one. Budget: `--budget N` caps the FRESH queries of this run, i.e. what the black box is asked; replayed
// answers are free. So a run stopped by its budget, restarted with the same log and the same --budget,
// replays what it had and then asks up to N more.
import type { QueryLog } from './query-log.js';
import { BadOutputError, BudgetExceededError, checkOutputs, OracleError, type Oracle } from './types.js';

export interface CountingOptions {
  /** Answers to replay, and where to append new ones. */
  log?: QueryLog;
  /**
   * With a log: ask the black box at most this many rows per call, and log each part as soon as it is
   * answered (the parts run concurrently; the source limits its own concurrency). Default: one call.
   */
  chunk?: number;
}

export class CountingOracle implements Oracle {
  readonly inputDim: number;
  private dim: number;
  private used = 0;
  private freshUsed = 0;
  private calls = 0;
  /** Requests to the black box not yet settled (close() waits for them, so their answers are logged). */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Queries per named phase (set by the extraction driver). */
  readonly byPhase = new Map<string, number>();
  phase = 'other';

  constructor(
    private readonly inner: Oracle,
    readonly budget = Infinity,
    private readonly source = 'black box',
    private readonly opts: CountingOptions = {},
  ) {
    this.inputDim = inner.inputDim;
    const logged = opts.log?.outputDim ?? 0;
    if (logged && inner.outputDim && logged !== inner.outputDim) {
      throw new OracleError(`query log ${opts.log!.path} has ${logged} outputs per query; ${source} has ${inner.outputDim}: it belongs to another black box`);
    }
    // 0 = unknown until the first answer (HTTP and subprocess black boxes), unless the log knows it.
    this.dim = inner.outputDim || (opts.log?.outputDim ?? 0);
  }

  get outputDim(): number {
    return this.dim;
  }
  /** Every input asked: fresh + replayed. */
  get queries(): number {
    return this.used;
  }
  /** Inputs the black box was asked in this run. */
  get fresh(): number {
    return this.freshUsed;
  }
  /** Inputs answered from the query log. */
  get replayed(): number {
    return this.used - this.freshUsed;
  }
  /** Fresh queries left in the budget. */
  get remaining(): number {
    return this.budget - this.freshUsed;
  }
  get batches(): number {
    return this.calls;
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    if (n === 0) return new Float64Array(0);
    if (xs.length !== n * this.inputDim) {
      throw new OracleError(`internal: query of ${n} inputs given ${xs.length} numbers (input dimension ${this.inputDim})`);
    }
    const found = this.opts.log?.lookup(xs, n);
    const missing = found ? found.missing : null;
    const fresh = missing ? missing.length : n;
    if (this.freshUsed + fresh > this.budget) throw new BudgetExceededError(this.budget, this.freshUsed, fresh);
    found?.commit();
    this.used += n;
    this.freshUsed += fresh;
    this.calls++;
    this.byPhase.set(this.phase, (this.byPhase.get(this.phase) ?? 0) + n);
    if (!found) return this.ask(xs, n);
    if (fresh === 0) return joinRows(found.answers, this.dim);
    const d = this.inputDim;
    const xsFresh = new Float64Array(fresh * d);
    missing!.forEach((row, k) => xsFresh.set(xs.subarray(row * d, (row + 1) * d), k * d));
    const ysFresh = await this.ask(xsFresh, fresh);
    missing!.forEach((row, k) => (found.answers[row] = ysFresh.subarray(k * this.dim, (k + 1) * this.dim)));
    return joinRows(found.answers, this.dim);
  }

  /** Ask the black box (in logged chunks when there is a log); every answer is validated before use or logging. */
  private async ask(xs: Float64Array, n: number): Promise<Float64Array> {
    const log = this.opts.log;
    const chunk = log ? Math.max(1, this.opts.chunk ?? n) : n;
    const d = this.inputDim;
    const parts: Promise<Float64Array>[] = [];
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const part = xs.subarray(s * d, (s + rows) * d);
      parts.push(
        this.inner.query(part, rows).then((ys) => {
          this.check(ys, rows);
          log?.append(part, ys, rows);
          return ys;
        }),
      );
    }
    // Wait for every part, so that each answered part is logged even when another fails.
    const all = Promise.allSettled(parts);
    this.inflight.add(all);
    const settled = await all;
    this.inflight.delete(all);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const answers = (settled as PromiseFulfilledResult<Float64Array>[]).map((r) => r.value);
    if (answers.length === 1) return answers[0];
    const out = new Float64Array(n * this.dim);
    let o = 0;
    for (const a of answers) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  }

  /** Validate one answer; the first answer fixes the output width when it was unknown. */
  private check(ys: Float64Array, n: number): void {
    if (this.dim === 0) {
      const width = ys.length / n;
      if (!Number.isInteger(width) || width < 1) throw new BadOutputError(`${this.source} returned ${ys.length} numbers for ${n} inputs`);
      this.dim = width;
    }
    checkOutputs(ys, n, this.dim, this.source);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    this.opts.log?.close();
    await this.inner.close?.();
  }
}

function joinRows(rows: (Float64Array | undefined)[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => out.set(r!, i * width));
  return out;
}
