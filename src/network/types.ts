// The MLP type: y = W x + b per layer, W row-major [out][in]; hidden layers are ReLU, the last is linear.

export interface Layer {
  /** Row-major [outDim][inDim]. */
  W: Float64Array;
  b: Float64Array;
  inDim: number;
  outDim: number;
}

export interface Network {
  layers: Layer[];
  activation: 'relu';
}

export function makeLayer(inDim: number, outDim: number, W?: Float64Array, b?: Float64Array): Layer {
  return {
    inDim,
    outDim,
    W: W ?? new Float64Array(inDim * outDim),
    b: b ?? new Float64Array(outDim),
  };
}

export function inputDim(net: Network): number {
  return net.layers[0].inDim;
}

export function outputDim(net: Network): number {
  return net.layers[net.layers.length - 1].outDim;
}

/** Hidden widths n_1..n_d (the last layer is the output layer). */
export function hiddenWidths(net: Network): number[] {
  return net.layers.slice(0, -1).map((l) => l.outDim);
}

/** Architecture string, e.g. "10-20-2". */
export function archString(net: Network): string {
  return [inputDim(net), ...net.layers.map((l) => l.outDim)].join('-');
}

/** Number of weights and biases. */
export function parameterCount(net: Network): number {
  return net.layers.reduce((s, l) => s + l.W.length + l.b.length, 0);
}

export function cloneNetwork(net: Network): Network {
  return {
    activation: net.activation,
    layers: net.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, W: Float64Array.from(l.W), b: Float64Array.from(l.b) })),
  };
}

/** Parse "10-20-2" into [10, 20, 2]; throws a one-line error naming the problem. */
export function parseArch(arch: string): number[] {
  const parts = arch.split('-').map((s) => s.trim());
  const dims = parts.map(Number);
  if (dims.length < 2 || dims.some((d, i) => !Number.isInteger(d) || d < 1 || parts[i] === '')) {
    throw new Error(`invalid architecture "${arch}": expected positive integers joined by '-', e.g. 10-20-2`);
  }
  return dims;
}
