// A black box over a Network held in memory. Small batches run through the JS forward pass; large ones through
// onnxruntime (the same network as a float64 ONNX graph), whose BLAS matrix product is ~20× faster on a 784-128-10
// network. Both compute in float64; they differ only in summation order (~1e-15 relative).
import { forward } from '../network/forward.js';
import { networkToOnnx } from '../network/onnx.js';
import { inputDim, outputDim, parameterCount, type Network } from '../network/types.js';
import { OnnxOracle } from './onnx.js';
import type { Oracle } from './types.js';

/** Multiply-adds per call above which onnxruntime is used (below it, its per-call overhead dominates). */
const ONNX_MIN_WORK = 1e6;

export class LocalOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly work: number;
  private fast?: Promise<OnnxOracle>;
  constructor(private readonly net: Network) {
    this.inputDim = inputDim(net);
    this.outputDim = outputDim(net);
    this.work = parameterCount(net);
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    if (n * this.work < ONNX_MIN_WORK) return forward(this.net, xs, n);
    this.fast ??= OnnxOracle.open('in-memory network', { bytes: networkToOnnx(this.net) });
    return (await this.fast).query(xs, n);
  }

  async close(): Promise<void> {
    if (this.fast) await (await this.fast).close();
  }
}
