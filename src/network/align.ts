// Canonical form and alignment of two networks: the symmetries no query can see are neuron
// permutation and positive per-neuron scaling; remove both before comparing weights.
import { munkres } from 'munkres';
import type { Layer, Network } from './types.js';

/**
 * The same function with every hidden neuron's incoming weight row at unit L2 norm.
 * ReLU is positively homogeneous: relu(s·z) = s·relu(z) for s > 0, so dividing neuron j's row and
 * bias by s = ‖w_j‖₂ and multiplying column j of the next layer by s leaves the network's function
 * unchanged. Layers are processed first to last, so a layer's columns already carry the previous
 * layer's scales when its own rows are normalised. A neuron with an all-zero incoming row has no
 * direction to normalise and is left as it is.
 */
export function normalise(net: Network): Network {
  const layers: Layer[] = net.layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, W: Float64Array.from(l.W), b: Float64Array.from(l.b) }));
  for (let k = 0; k < layers.length - 1; k++) {
    const { W, b, inDim, outDim } = layers[k];
    const next = layers[k + 1];
    for (let j = 0; j < outDim; j++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) s += W[j * inDim + i] ** 2;
      s = Math.sqrt(s);
      if (s === 0) continue;
      for (let i = 0; i < inDim; i++) W[j * inDim + i] /= s;
      b[j] /= s;
      for (let r = 0; r < next.outDim; r++) next.W[r * next.inDim + j] *= s;
    }
  }
  return { layers, activation: net.activation };
}

/** One neuron of the recovered network matched to one of the truth, both rows in the same column space. */
export interface NeuronPair {
  recovered: number;
  truth: number;
  /** Recovered incoming row, columns in the layer's common column space (see LayerMatch.columns). */
  w: Float64Array;
  b: number;
  /** The truth's incoming row in the same column space. */
  wTrue: Float64Array;
  bTrue: number;
}

/**
 * The alignment of one layer. Columns: the truth's inputs to this layer in the truth's order, then
 * one column per spurious neuron of the previous layer (the truth's weight there is 0); a truth
 * column whose neuron is missing in the recovered network holds a recovered weight of 0.
 */
export interface LayerMatch {
  /** Index into Network.layers (0 = first hidden layer). */
  index: number;
  /** The output layer: rows matched by index, not permuted. */
  output: boolean;
  trueWidth: number;
  recoveredWidth: number;
  /** Size of the common column space. */
  columns: number;
  /** Matched neurons, in the truth's order. */
  pairs: NeuronPair[];
  /** Truth neurons with no recovered counterpart. */
  missing: number[];
  /** Recovered neurons with no truth counterpart. */
  spurious: number[];
}

/** Euclidean distance between [w, b] and [w', b']. */
function rowDistance(w: Float64Array, b: number, w2: Float64Array, b2: number): number {
  let s = (b - b2) ** 2;
  for (let i = 0; i < w.length; i++) s += (w[i] - w2[i]) ** 2;
  return Math.sqrt(s);
}

/** Rows of a layer in a column space of size `columns`: recovered column i goes to colMap[i]. */
function mappedRows(layer: Layer, colMap: Int32Array, columns: number): Float64Array[] {
  return Array.from({ length: layer.outDim }, (_, j) => {
    const row = new Float64Array(columns);
    for (let i = 0; i < layer.inDim; i++) row[colMap[i]] = layer.W[j * layer.inDim + i];
    return row;
  });
}

/**
 * Normalise both networks and match their neurons layer by layer, from the first.
 * Hidden layers: Hungarian assignment (rectangular when widths differ) minimising the total
 * Euclidean distance between normalised rows [w, b] in the common column space. The cost is the
 * per-neuron error itself and is a metric, so a recovered neuron whose row is the negative of its
 * truth (a sign flip, distance 2·‖[w, b]‖) still pairs with it: by the triangle inequality no swap
 * with another neuron lowers the total. Every assigned pair counts as matched however far apart,
 * so such errors are shown, never silently fixed. The output layer's rows are matched by index;
 * its columns follow the last hidden matching. When depths differ only the common hidden prefix
 * is aligned (no output layer).
 */
export function align(recovered: Network, truth: Network): LayerMatch[] {
  if (recovered.layers[0].inDim !== truth.layers[0].inDim) {
    throw new RangeError(`input sizes differ: recovered ${recovered.layers[0].inDim}, truth ${truth.layers[0].inDim}`);
  }
  const rec = normalise(recovered);
  const tru = normalise(truth);
  const depth = Math.min(rec.layers.length, tru.layers.length) - 1;
  const sameDepth = rec.layers.length === tru.layers.length;
  const result: LayerMatch[] = [];
  // Layer 0's columns are the inputs, identical in both networks.
  let colMap = Int32Array.from({ length: tru.layers[0].inDim }, (_, i) => i);
  let columns = tru.layers[0].inDim;
  for (let k = 0; k < depth + (sameDepth ? 1 : 0); k++) {
    const output = k === depth;
    const lr = rec.layers[k];
    const lt = tru.layers[k];
    const wr = mappedRows(lr, colMap, columns);
    const wt = Array.from({ length: lt.outDim }, (_, j) => {
      const row = new Float64Array(columns);
      row.set(lt.W.subarray(j * lt.inDim, (j + 1) * lt.inDim));
      return row;
    });
    let assignment: [number, number][];
    if (output) {
      if (lr.outDim !== lt.outDim) throw new RangeError(`output sizes differ: recovered ${lr.outDim}, truth ${lt.outDim}`);
      assignment = Array.from({ length: lt.outDim }, (_, j) => [j, j]);
    } else {
      const cost = wr.map((r, jr) => wt.map((t, jt) => rowDistance(r, lr.b[jr], t, lt.b[jt])));
      assignment = munkres(cost);
    }
    assignment.sort((p, q) => p[1] - q[1]);
    const pairs = assignment.map(([jr, jt]) => ({ recovered: jr, truth: jt, w: wr[jr], b: lr.b[jr], wTrue: wt[jt], bTrue: lt.b[jt] }));
    const hitR = new Set(assignment.map((p) => p[0]));
    const hitT = new Set(assignment.map((p) => p[1]));
    const missing = Array.from({ length: lt.outDim }, (_, j) => j).filter((j) => !hitT.has(j));
    const spurious = Array.from({ length: lr.outDim }, (_, j) => j).filter((j) => !hitR.has(j));
    result.push({ index: k, output, trueWidth: lt.outDim, recoveredWidth: lr.outDim, columns, pairs, missing, spurious });
    // The next layer's column space: truth neurons in the truth's order, then the spurious ones.
    colMap = new Int32Array(lr.outDim);
    for (const p of pairs) colMap[p.recovered] = p.truth;
    spurious.forEach((j, s) => (colMap[j] = lt.outDim + s));
    columns = lt.outDim + spurious.length;
  }
  return result;
}
