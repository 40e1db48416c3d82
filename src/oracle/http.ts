// A black box behind HTTP (--url). Protocol (json-protocol.ts), one request per batch of at most batchSize inputs:
//   POST <url>   Content-Type: application/json   {"inputs": [[x11, ..., x1d], ...]}
//   200          {"outputs": [[y11, ..., y1m], ...]}
// The output width m is learned from the first answer. Timeouts, connection errors, HTTP 5xx, 408 and
// 429 are retried with exponential backoff (100 ms, 200 ms, ... capped at 10 s; a Retry-After header is
// honoured up to that cap); other HTTP errors and malformed answers (BadOutputError) fail at once.
import { encodeInputs, excerpt, parseOutputs } from './json-protocol.js';
import { OracleError, type Oracle } from './types.js';

export interface HttpOptions {
  url: string;
  inputDim: number;
  /** Inputs per request (default 256). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** Requests started per second at most (default unlimited). */
  rateLimit?: number;
  /** Extra request headers, e.g. {Authorization: 'Bearer ...'}. */
  headers?: Record<string, string>;
  /** First backoff delay in ms (default 100); doubles per retry. */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 10_000;

/** A failure worth retrying (the request may succeed next time). */
class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpOracle implements Oracle {
  readonly inputDim: number;
  /** 0 until the first answer. */
  outputDim = 0;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly minGapMs: number;
  private readonly headers: Record<string, string>;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;
  /** Requests that were retried (for reports and tests). */
  retried = 0;

  constructor(private readonly opts: HttpOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new OracleError(`--url: not a valid URL: ${opts.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OracleError(`--url must be http:// or https://, got ${opts.url}`);
    this.inputDim = opts.inputDim;
    this.batchSize = opts.batchSize ?? 256;
    this.concurrency = opts.concurrency ?? 4;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 5;
    this.backoffMs = opts.backoffMs ?? 100;
    this.minGapMs = opts.rateLimit ? 1000 / opts.rateLimit : 0;
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...(opts.headers ?? {}) };
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const d = this.inputDim;
    const parts: Promise<Float64Array>[] = [];
    for (let s = 0; s < n; s += this.batchSize) {
      const rows = Math.min(this.batchSize, n - s);
      parts.push(this.withSlot(() => this.request(xs.subarray(s * d, (s + rows) * d), rows)));
    }
    const answers = await Promise.all(parts);
    if (answers.length === 1) return answers[0];
    const out = new Float64Array(n * this.outputDim);
    let o = 0;
    for (const a of answers) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  }

  /** Run fn when fewer than `concurrency` requests are in flight (shared by all concurrent queries). */
  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /** One batch, with retries. */
  private async request(xs: Float64Array, rows: number): Promise<Float64Array> {
    const body = encodeInputs(xs, rows, this.inputDim);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(body, rows);
      } catch (e) {
        if (!(e instanceof TransientError)) throw e;
        if (attempt >= this.retries) {
          throw new OracleError(`${this.opts.url}: gave up after ${attempt + 1} attempts (last: ${e.message})`);
        }
        this.retried++;
        const backoff = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** attempt);
        await sleep(Math.min(MAX_BACKOFF_MS, Math.max(backoff, e.retryAfterMs)));
      }
    }
  }

  private async attempt(body: string, rows: number): Promise<Float64Array> {
    await this.rateGate();
    let text: string;
    let status: number;
    let retryAfterMs = 0;
    try {
      const res = await fetch(this.opts.url, { method: 'POST', headers: this.headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.status;
      retryAfterMs = 1000 * (Number(res.headers.get('retry-after')) || 0);
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new TransientError(`no answer within ${this.timeoutMs} ms`);
      throw new TransientError(`connection failed (${err.cause?.code ?? err.cause?.message ?? err.message})`);
    }
    if (status >= 500 || status === 408 || status === 429) throw new TransientError(`HTTP ${status}`, retryAfterMs);
    if (status !== 200) throw new OracleError(`${this.opts.url}: HTTP ${status}: ${excerpt(text)}`);
    return this.parse(text, rows);
  }

  /** Space request starts by 1/rateLimit seconds. */
  private async rateGate(): Promise<void> {
    if (!this.minGapMs) return;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + this.minGapMs;
    if (start > now) await sleep(start - now);
  }

  private parse(text: string, rows: number): Float64Array {
    const { ys, width } = parseOutputs(text, rows, this.outputDim, this.opts.url);
    this.outputDim = width;
    return ys;
  }
}
