// A black box that is a program (--cmd "python3 bb.py"), speaking JSON lines on stdin/stdout:
//   relurev writes one line   {"inputs": [[x11, ..., x1d], ...]}
//   the program answers one   {"outputs": [[y11, ..., y1m], ...]}   (same rows, same order)
//   or, to report a failure,  {"error": "message"}
// One request at a time, at most batchSize inputs per line; the output width m is learned from the first
// answer. stdout carries protocol lines only (logs go to stderr, whose last lines are quoted in errors).
// The program ends when its stdin closes. A program that exits, answers garbage or stays silent past the
// timeout gives an OracleError; the program is not restarted (its state is unknown).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { encodeInputs, excerpt, parseOutputs } from './json-protocol.js';
import { BadOutputError, OracleError, type Oracle } from './types.js';

export interface SubprocessOptions {
  cmd: string;
  inputDim: number;
  /** Inputs per request line (default 256). */
  batchSize?: number;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
}

const STDERR_TAIL = 400;

export class SubprocessOracle implements Oracle {
  readonly inputDim: number;
  /** 0 until the first answer. */
  outputDim = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private stderrTail = '';
  /** Set once the program can no longer answer; every later query fails with it. */
  private failure: Error | null = null;
  private pending: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  /** Requests run one after another. */
  private chain: Promise<unknown> = Promise.resolve();
  private closing = false;
  private readonly exited: Promise<void>;

  constructor(private readonly opts: SubprocessOptions) {
    this.inputDim = opts.inputDim;
    this.batchSize = opts.batchSize ?? 256;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.child = spawn(opts.cmd, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] });
    // The program must not keep relurev alive: only a request in flight does (through its timeout timer).
    // When relurev exits, the program's stdin closes and it ends.
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => (this.stderrTail = (this.stderrTail + s).slice(-STDERR_TAIL)));
    this.child.stdin.on('error', () => {}); // EPIPE when the program has died: reported by the exit handler
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.pending) this.pending.resolve(line);
      else this.fail(new BadOutputError(`${this.label}: wrote an unrequested line: ${excerpt(line)}`));
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.fail(new OracleError(`${this.label}: cannot start (${e.message})`));
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        if (!this.closing) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = excerpt(this.stderrTail, 200);
          this.fail(new OracleError(`${this.label}: the program ${how}${this.stderrTail.trim() ? ` (stderr: ${tail})` : ''}`));
        }
        resolve();
      });
    });
  }

  private get label(): string {
    return `subprocess "${this.opts.cmd}"`;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending?.reject(this.failure);
    this.pending = null;
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const d = this.inputDim;
    const parts: Float64Array[] = [];
    for (let s = 0; s < n; s += this.batchSize) {
      const rows = Math.min(this.batchSize, n - s);
      const run = this.chain.then(() => this.roundTrip(xs.subarray(s * d, (s + rows) * d), rows));
      this.chain = run.catch(() => {});
      parts.push(await run);
    }
    if (parts.length === 1) return parts[0];
    const out = new Float64Array(n * this.outputDim);
    parts.forEach((p, k) => out.set(p, k * this.batchSize * this.outputDim));
    return out;
  }

  /** Write one request line and wait for its answer line. */
  private async roundTrip(xs: Float64Array, rows: number): Promise<Float64Array> {
    if (this.failure) throw this.failure;
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new OracleError(`${this.label}: no answer within ${this.timeoutMs} ms`));
        this.child.kill('SIGKILL');
      }, this.timeoutMs);
      this.pending = {
        resolve: (l) => {
          clearTimeout(timer);
          this.pending = null;
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.stdin.write(encodeInputs(xs, rows, this.inputDim) + '\n');
    });
    const err = errorMessage(line);
    if (err !== null) {
      this.fail(new OracleError(`${this.label} reported an error: ${err}`));
      throw this.failure;
    }
    try {
      const { ys, width } = parseOutputs(line, rows, this.outputDim, this.label);
      this.outputDim = width;
      return ys;
    } catch (e) {
      this.fail(e as Error);
      throw e;
    }
  }

  /** Close stdin and wait briefly for the program to end; kill it if it does not. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** The message of an {"error": "..."} line, else null. */
function errorMessage(line: string): string | null {
  try {
    const data = JSON.parse(line) as { error?: unknown } | null;
    return data && typeof data === 'object' && 'error' in data ? String(data.error) : null;
  } catch {
    return null;
  }
}
