// A float32 black box made from any black box: inputs and outputs rounded to the nearest float32.
// Used by tests and by --precision float32 (which simulates a float32 deployment of a float64 model,
// and is a no-op on answers that are float32 already).
import type { Oracle } from './types.js';

export class Float32Oracle implements Oracle {
  readonly inputDim: number;
  constructor(private readonly inner: Oracle) {
    this.inputDim = inner.inputDim;
  }

  /** Follows the inner black box (which may learn its output width from its first answer). */
  get outputDim(): number {
    return this.inner.outputDim;
  }

  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const ys = await this.inner.query(Float64Array.from(Float32Array.from(xs)), n);
    return Float64Array.from(Float32Array.from(ys));
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
