// The pre-image of one layer's output (seed 004 slides 4–5): for y = ReLU(A x + b) it is the polyhedron
//   {x : A_I x + b_I = y_I (rows with y > 0),  A_J x + b_J ≤ 0 (rows with y = 0)},
// classified by classifyPolyhedron. A linear layer (the network's last) has only equalities. When the
// layer's input is itself a ReLU output (every layer but the first), x ≥ 0 is added: only those inputs
// can occur, and the extra rows can make a pre-image unique that otherwise would not be.
import { numericalRank } from '../linalg/rrqr.js';
import type { Layer } from '../network/types.js';
import { classifyPolyhedron, type PolyhedronClass } from './polyhedron.js';

export interface LayerPreimageOptions {
  /** The layer is followed by ReLU (default true). */
  relu?: boolean;
  /** Restrict x to x ≥ 0 (the layer's input is a ReLU output). Default false. */
  nonnegativeInput?: boolean;
  /** Relative tolerance (default 1e-9). */
  tol?: number;
  /** An input believed to produce y (see ClassifyOptions.knownPoint): can save an LP. */
  knownPoint?: ArrayLike<number>;
}

export interface LayerPreimage extends PolyhedronClass {
  /** Rows with y > 0 (all rows for a linear layer): the equalities. */
  active: number;
}

const rankCache = new WeakMap<Float64Array, number>();

/** rank(W), computed once per weight array. */
function layerRank(layer: Layer): number {
  let r = rankCache.get(layer.W);
  if (r === undefined) {
    r = numericalRank(layer.W, layer.outDim, layer.inDim);
    rankCache.set(layer.W, r);
  }
  return r;
}

export async function layerPreimage(layer: Layer, y: ArrayLike<number>, opts: LayerPreimageOptions = {}): Promise<LayerPreimage> {
  const { W, b, inDim: n, outDim: m } = layer;
  const relu = opts.relu ?? true;
  if (y.length !== m) throw new RangeError(`target has ${y.length} values, the layer has ${m} outputs`);
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(y[i])) throw new RangeError(`target value ${i} is not finite (${y[i]})`);
    if (relu && y[i] < 0) {
      return { kind: 'empty', nullity: -1, active: 0, reason: `output ${i} is ${y[i]} < 0, but a ReLU never outputs a negative value` };
    }
  }
  const activeRows: number[] = [];
  const inactiveRows: number[] = [];
  for (let i = 0; i < m; i++) (!relu || y[i] > 0 ? activeRows : inactiveRows).push(i);
  const p = activeRows.length;
  const nonneg = opts.nonnegativeInput ?? false;
  const q = inactiveRows.length + (nonneg ? n : 0);
  const E = new Float64Array(p * n);
  const e = new Float64Array(p);
  activeRows.forEach((i, r) => {
    E.set(W.subarray(i * n, (i + 1) * n), r * n);
    e[r] = y[i] - b[i];
  });
  const G = new Float64Array(q * n);
  const g = new Float64Array(q);
  inactiveRows.forEach((i, r) => {
    G.set(W.subarray(i * n, (i + 1) * n), r * n);
    g[r] = -b[i];
  });
  if (nonneg) for (let i = 0; i < n; i++) G[(inactiveRows.length + i) * n + i] = -1; // −x_i ≤ 0
  // [E; G] holds every row of W (plus −I when x ≥ 0), so it has full column rank iff W does.
  const fullRank = nonneg ? () => true : () => layerRank(layer) === n;
  const cls = await classifyPolyhedron({ n, E, e, p, G, g, q, fullRank }, { tol: opts.tol, knownPoint: opts.knownPoint });
  return { ...cls, active: p };
}
