// Build the black box the user named on the command line (--model FILE, --url URL or --cmd COMMAND),
// wrapped as: CountingOracle (counts, budget, query log) → Float32Oracle (with --precision float32) → source.
import { ModelFormatError } from '../network/format.js';
import { isOnnxPath, loadNetwork } from '../network/load.js';
import { readOnnxNetwork } from '../network/onnx.js';
import { CountingOracle } from './counting.js';
import { Float32Oracle } from './float32.js';
import { HttpOracle } from './http.js';
import { LocalOracle } from './local.js';
import { OnnxOracle } from './onnx.js';
import { QueryLog } from './query-log.js';
import { SubprocessOracle } from './subprocess.js';
import { OracleError, type Oracle } from './types.js';

export interface OracleSpec {
  /** A model file: relurev-mlp JSON, or ONNX (run by onnxruntime). */
  model?: string;
  /** An HTTP endpoint speaking the JSON protocol (see http.ts). */
  url?: string;
  /** A program speaking JSON lines on stdin/stdout (see subprocess.ts). */
  cmd?: string;
  /** Input width: required for --url and --cmd; checked against a model file. */
  inputDim?: number;
  /** Inputs per HTTP request or subprocess line (default 256). */
  batchSize?: number;
  /** HTTP requests in flight (default 4). */
  concurrency?: number;
  /** Per-request timeout in ms, HTTP and subprocess (default 30000). */
  timeoutMs?: number;
  /** HTTP retries after the first attempt (default 5). */
  retries?: number;
  /** HTTP requests per second at most. */
  rateLimit?: number;
  /** Extra HTTP headers (e.g. authorisation). */
  headers?: Record<string, string>;
  /** Append every answer to this file; serve answers already in it (resume). */
  queryLog?: string;
  /** The black box's precision; 'auto' (default): known from an ONNX model's types, else left to the probe. */
  precision?: 'float64' | 'float32' | 'auto';
  /** At most this many queries sent to the black box in this run (replayed answers are free). */
  budget?: number;
}

export interface OpenedSource {
  oracle: Oracle;
  label: string;
  /** Known from the source itself (an ONNX model's element types). */
  precision?: 'float64' | 'float32';
  /**
   * The source is known to compute a ReLU MLP: a JSON model, or an ONNX graph that reads as one
   * (Gemm or MatMul+Add with Relu). Otherwise (any other ONNX graph, --url, --cmd) probe it first.
   */
  reluKnown: boolean;
}

/** Whether an ONNX file's graph is a ReLU MLP that relurev can read. */
function onnxIsReluMlp(path: string): boolean {
  try {
    readOnnxNetwork(path);
    return true;
  } catch (e) {
    if (e instanceof ModelFormatError) return false;
    throw e;
  }
}

export async function openSource(spec: OracleSpec): Promise<OpenedSource> {
  const given = [spec.model, spec.url, spec.cmd].filter((s) => s !== undefined).length;
  if (given === 0) throw new OracleError('no black box given: use --model FILE, --url URL or --cmd COMMAND');
  if (given > 1) throw new OracleError('give only one black box: --model, --url or --cmd');
  if (spec.model !== undefined) {
    if (isOnnxPath(spec.model)) {
      const oracle = await OnnxOracle.open(spec.model, { inputDim: spec.inputDim });
      return { oracle, label: spec.model, precision: oracle.precision, reluKnown: onnxIsReluMlp(spec.model) };
    }
    const oracle = new LocalOracle(await loadNetwork(spec.model));
    if (spec.inputDim !== undefined && spec.inputDim !== oracle.inputDim) {
      throw new OracleError(`--input-dim ${spec.inputDim} does not match ${spec.model}'s input width ${oracle.inputDim}`);
    }
    return { oracle, label: spec.model, precision: 'float64', reluKnown: true };
  }
  if (spec.inputDim === undefined) throw new OracleError(`--input-dim is required with ${spec.url !== undefined ? '--url' : '--cmd'}`);
  const common = { inputDim: spec.inputDim, batchSize: spec.batchSize, timeoutMs: spec.timeoutMs };
  if (spec.url !== undefined) {
    const oracle = new HttpOracle({ ...common, url: spec.url, concurrency: spec.concurrency, retries: spec.retries, rateLimit: spec.rateLimit, headers: spec.headers });
    return { oracle, label: spec.url, reluKnown: false };
  }
  return { oracle: new SubprocessOracle({ ...common, cmd: spec.cmd! }), label: `subprocess "${spec.cmd}"`, reluKnown: false };
}

export interface OpenedOracle {
  oracle: CountingOracle;
  label: string;
  /** The precision to extract at: --precision if given, else the source's if known, else undefined (probe it). */
  precision?: 'float64' | 'float32';
  /** See OpenedSource.reluKnown: when false, probe for piecewise linearity before extracting. */
  reluKnown: boolean;
}

export async function openOracle(spec: OracleSpec): Promise<OpenedOracle> {
  const src = await openSource(spec);
  let log: QueryLog | undefined;
  try {
    log = spec.queryLog !== undefined ? QueryLog.open(spec.queryLog, src.oracle.inputDim) : undefined;
  } catch (e) {
    await src.oracle.close?.();
    throw e;
  }
  const inner = spec.precision === 'float32' ? new Float32Oracle(src.oracle) : src.oracle;
  // Log in parts of one request each, so every answered request is logged as soon as it arrives.
  const chunk = spec.url !== undefined || spec.cmd !== undefined ? (spec.batchSize ?? 256) : undefined;
  const oracle = new CountingOracle(inner, spec.budget ?? Infinity, src.label, { log, chunk });
  if (src.oracle.outputDim === 0) {
    // The source learns its output width from its first answer: ask the origin (counted and logged as
    // phase "setup", so a resumed run replays it like any other query).
    oracle.phase = 'setup';
    try {
      await oracle.query(new Float64Array(oracle.inputDim), 1);
    } catch (e) {
      await oracle.close();
      throw e;
    } finally {
      oracle.phase = 'other';
    }
  }
  const precision = spec.precision === 'float64' || spec.precision === 'float32' ? spec.precision : src.precision;
  return { oracle, label: src.label, precision, reluKnown: src.reluKnown };
}
