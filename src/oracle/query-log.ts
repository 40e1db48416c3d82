// The query log (--query-log FILE): every answered query is appended, so a run that is killed (or stops
// on its budget) and is started again with the same log and seed asks the black box only what it had not
// asked before. The extraction is deterministic given its seed and the answers, so the restarted run asks
// the same queries in the same order; those already logged are served from the file.
//
// File format (text, append-only; exact float64):
//   relurev-query-log 1 <inputDim> <outputDim>          (first line, written with the first answer)
//   <input> <output>                                     (one line per query)
// where <input> and <output> are the float64 values' little-endian IEEE-754 bytes in hex, 16 digits per
// number, concatenated (e.g. 1.0 is 000000000000f03f). A line cut short by a kill is dropped on reopen.
//
// Matching: the k-th time a run asks an input (bit-exact), it gets the k-th answer logged for that input,
// so a noisy black box's repeated queries replay faithfully. Answers logged during this run are not replayed
// in this run (a repeat asks the black box again, as it did the first time).
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ModelFormatError } from '../network/format.js';

const MAGIC = 'relurev-query-log';
const HEX_PER_NUMBER = 16;

function toHex(v: Float64Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

function fromHex(hex: string, count: number): Float64Array | null {
  if (hex.length !== count * HEX_PER_NUMBER || !/^[0-9a-f]*$/.test(hex)) return null;
  const bytes = Buffer.from(hex, 'hex');
  const out = new Float64Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

interface Entry {
  /** Answers for this input, in the order they were logged. */
  answers: Float64Array[];
  /** How many of them this run has used. */
  used: number;
}

/** What a batch would get from the log; call commit() to take those answers. */
export interface LogLookup {
  /** answers[i] is row i's logged answer, or undefined if the black box must be asked. */
  answers: (Float64Array | undefined)[];
  /** The rows the black box must be asked, ascending. */
  missing: number[];
  commit(): void;
}

export class QueryLog {
  private readonly entries = new Map<string, Entry>();
  private fd: number;
  private headerWritten: boolean;
  /** Number of answers available for replay (read at open). */
  readonly loaded: number;

  private constructor(
    readonly path: string,
    readonly inputDim: number,
    /** 0 until known (from the file, or from the first answer appended). */
    public outputDim: number,
    lines: string[],
  ) {
    this.headerWritten = outputDim > 0;
    lines.forEach((line, k) => {
      const [xHex, yHex, extra] = line.split(' ');
      const x = fromHex(xHex ?? '', inputDim);
      const y = fromHex(yHex ?? '', outputDim);
      if (!x || !y || extra !== undefined || !y.every(Number.isFinite)) {
        throw new ModelFormatError(`query log ${path}: line ${k + 2} is not "<input hex> <output hex>" for ${inputDim} inputs and ${outputDim} outputs`);
      }
      const key = xHex;
      const e = this.entries.get(key);
      if (e) e.answers.push(y);
      else this.entries.set(key, { answers: [y], used: 0 });
    });
    this.loaded = lines.length;
    this.fd = openSync(path, 'a');
  }

  /** Open (or create) a log for a black box with `inputDim` inputs; a torn last line (from a kill) is cut off. */
  static open(path: string, inputDim: number): QueryLog {
    if (!existsSync(path)) return new QueryLog(path, inputDim, 0, []);
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      throw new ModelFormatError(`cannot read query log ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const complete = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, complete).split('\n').slice(0, -1);
    // Check that this is a query log before cutting anything off (a header torn by a kill counts as empty).
    if (lines.length === 0 && !MAGIC.startsWith(text.slice(0, MAGIC.length))) {
      throw new ModelFormatError(`query log ${path}: not a relurev query log (it starts "${text.slice(0, 40)}")`);
    }
    const [magic, version, inDim, outDim] = (lines[0] ?? '').split(' ');
    if (lines.length > 0 && (magic !== MAGIC || version !== '1' || !(Number(outDim) >= 1))) {
      throw new ModelFormatError(`query log ${path}: not a relurev query log (first line "${lines[0].slice(0, 60)}")`);
    }
    if (complete < text.length) {
      const fd = openSync(path, 'r+');
      ftruncateSync(fd, complete);
      closeSync(fd);
    }
    if (lines.length === 0) return new QueryLog(path, inputDim, 0, []);
    if (Number(inDim) !== inputDim) {
      throw new ModelFormatError(`query log ${path} was written for a black box with ${inDim} inputs; this one has ${inputDim}`);
    }
    return new QueryLog(path, inputDim, Number(outDim), lines.slice(1));
  }

  /** Which rows of a batch the log answers (without taking them yet). */
  lookup(xs: Float64Array, n: number): LogLookup {
    const answers: (Float64Array | undefined)[] = new Array(n);
    const missing: number[] = [];
    const taken = new Map<Entry, number>();
    const d = this.inputDim;
    for (let i = 0; i < n; i++) {
      const e = this.entries.size ? this.entries.get(toHex(xs.subarray(i * d, (i + 1) * d))) : undefined;
      const k = e ? e.used + (taken.get(e) ?? 0) : 0;
      if (e && k < e.answers.length) {
        answers[i] = e.answers[k];
        taken.set(e, (taken.get(e) ?? 0) + 1);
      } else {
        missing.push(i);
      }
    }
    return {
      answers,
      missing,
      commit: () => {
        for (const [e, t] of taken) e.used += t;
      },
    };
  }

  /** Append n answered queries (xs n × inputDim, ys n × outputDim). */
  append(xs: Float64Array, ys: Float64Array, n: number): void {
    if (n === 0) return;
    if (!this.headerWritten) {
      this.outputDim = ys.length / n;
      writeSync(this.fd, `${MAGIC} 1 ${this.inputDim} ${this.outputDim}\n`);
      this.headerWritten = true;
    }
    const d = this.inputDim;
    const m = this.outputDim;
    let buf = '';
    for (let i = 0; i < n; i++) {
      buf += `${toHex(xs.subarray(i * d, (i + 1) * d))} ${toHex(ys.subarray(i * m, (i + 1) * m))}\n`;
      if (buf.length > 1 << 20) {
        writeSync(this.fd, buf);
        buf = '';
      }
    }
    if (buf) writeSync(this.fd, buf);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
