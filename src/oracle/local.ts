// A black box over a Network held in memory.
import { forward } from '../network/forward.js';
import { inputDim, outputDim, type Network } from '../network/types.js';
import type { Oracle } from './types.js';

export class LocalOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  constructor(private readonly net: Network) {
    this.inputDim = inputDim(net);
    this.outputDim = outputDim(net);
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    return forward(this.net, xs, n);
  }
}
