// A black box over an ONNX model run by onnxruntime (CPU). The model's one input must be a float32 or
// float64 tensor [batch, inputDim]; inputs are converted to its type; its first output is the answer. A fixed batch dimension is served
// in chunks of that size (the last one padded with zeros, whose answers are dropped).
import * as ort from 'onnxruntime-node';
import { ModelFormatError } from '../network/format.js';
import { onnxToNetwork, readOnnxNetwork } from '../network/onnx.js';
import { inputDim as netInputDim, outputDim as netOutputDim } from '../network/types.js';
import { BadOutputError, OracleError, type Oracle } from './types.js';

/** Rows per onnxruntime call when the batch dimension is dynamic (bounds memory on huge query batches). */
const DYNAMIC_CHUNK = 8192;

export class OnnxOracle implements Oracle {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputDim: number,
    /** 0 when the model's output width is symbolic; learned from the first answer. */
    public outputDim: number,
    /** float32 if the model's input or output is float32 (its answers carry float32 precision at best). */
    readonly precision: 'float64' | 'float32',
    private readonly inputType: 'float64' | 'float32',
    /** The model's fixed batch size, or null when dynamic. */
    readonly fixedBatch: number | null,
    private readonly path: string,
  ) {}

  /**
   * Load a model (a file, or the bytes of one with `path` naming it in messages); input width from its input shape,
   * else from its weights, else from `inputDim`.
   */
  static async open(path: string, opts: { inputDim?: number; bytes?: Uint8Array } = {}): Promise<OnnxOracle> {
    let session: ort.InferenceSession;
    try {
      session = opts.bytes ? await ort.InferenceSession.create(opts.bytes) : await ort.InferenceSession.create(path);
    } catch (e) {
      throw new ModelFormatError(`${path}: cannot load ONNX model (${oneLine((e as Error).message)})`);
    }
    const input = session.inputMetadata[0];
    const output = session.outputMetadata[0];
    if (session.inputNames.length !== 1 || !input?.isTensor) {
      throw new ModelFormatError(`${path}: expected one tensor input, found ${session.inputNames.length} inputs`);
    }
    if (!output?.isTensor) throw new ModelFormatError(`${path}: the first output is not a tensor`);
    if (input.type !== 'float32' && input.type !== 'float64') {
      throw new ModelFormatError(`${path}: input "${input.name}" has type ${input.type}; only float32 and float64 are supported`);
    }
    if (input.shape.length !== 2) {
      throw new ModelFormatError(`${path}: input "${input.name}" has shape [${input.shape}]; expected [batch, features]`);
    }
    const known = (d: number | string | undefined): number => (typeof d === 'number' && d > 0 ? d : 0);
    let inDim = known(input.shape[1]);
    let outDim = output.shape.length === 2 ? known(output.shape[1]) : 0;
    if (!inDim || !outDim) {
      // Symbolic widths: read them from the weights when the graph is a plain MLP.
      try {
        const net = opts.bytes ? onnxToNetwork(opts.bytes, path) : readOnnxNetwork(path);
        inDim ||= netInputDim(net);
        outDim ||= netOutputDim(net);
      } catch (e) {
        if (!(e instanceof ModelFormatError)) throw e;
      }
    }
    inDim ||= opts.inputDim ?? 0;
    if (!inDim) throw new ModelFormatError(`${path}: the input width is symbolic; give it with --input-dim`);
    if (opts.inputDim !== undefined && opts.inputDim !== inDim) {
      throw new ModelFormatError(`${path}: --input-dim ${opts.inputDim} does not match the model's input width ${inDim}`);
    }
    const batch = known(input.shape[0]) || null;
    const precision = input.type === 'float32' || output.type === 'float32' ? 'float32' : 'float64';
    return new OnnxOracle(session, inDim, outDim, precision, input.type, batch, path);
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const chunk = this.fixedBatch ?? DYNAMIC_CHUNK;
    const parts: Float64Array[] = [];
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      parts.push(await this.run(xs.subarray(s * this.inputDim, (s + rows) * this.inputDim), rows));
    }
    if (parts.length === 1) return parts[0];
    const out = new Float64Array(n * this.outputDim);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** One onnxruntime call on `rows` inputs (padded to the fixed batch size if there is one). */
  private async run(xs: Float64Array, rows: number): Promise<Float64Array> {
    const batch = this.fixedBatch ?? rows;
    const size = batch * this.inputDim;
    const data = this.inputType === 'float32' ? new Float32Array(size) : new Float64Array(size);
    data.set(xs); // float32 inputs: rounded to nearest here
    const input = new ort.Tensor(this.inputType, data, [batch, this.inputDim]);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run({ [this.session.inputNames[0]]: input });
    } catch (e) {
      throw new OracleError(`${this.path}: onnxruntime failed (${oneLine((e as Error).message)})`);
    }
    const y = result[this.session.outputNames[0]] as ort.Tensor;
    if (!(y.data instanceof Float32Array || y.data instanceof Float64Array)) {
      throw new BadOutputError(`${this.path}: output has type ${y.type}; expected float32 or float64`);
    }
    const width = y.dims.length === 2 && y.dims[0] === batch ? y.dims[1] : -1;
    if (width < 1 || (this.outputDim && width !== this.outputDim)) {
      throw new BadOutputError(`${this.path}: output has shape [${y.dims}] for ${batch} inputs`);
    }
    this.outputDim = width;
    return Float64Array.from(y.data.subarray(0, rows * width));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function oneLine(s: string): string {
  return s.split('\n')[0].trim();
}
