// An input x in a box whose output after layer k equals the target, found by a mixed-integer program
// over the activation pattern (big-M formulation with interval bounds, as in Tjeng et al. 2019).
// For each hidden neuron with pre-activation z = w·h_prev + b ∈ [l, u]:
//   u ≤ 0: h = 0;   l ≥ 0: h = z;   otherwise, with a binary δ (1 = active):
//   h ≥ z,  h ≥ 0,  h ≤ z − l (1 − δ),  h ≤ u δ.
// Optionally excludes the box ‖x − center‖∞ < distance (for the uniqueness question), with binaries
// u_i^± choosing which side x_i must be on.
import type { Network } from '../network/types.js';
import { type Box, preActivationBounds } from './bounds.js';
import { solveLp } from './lp.js';

export interface MipOptions {
  box: Box;
  /** Seconds per solve (default 60). */
  timeLimit?: number;
  /** Require ‖x − center‖∞ ≥ distance. */
  exclude?: { center: Float64Array; distance: number };
}

export type MipOutcome =
  | { status: 'found'; x: Float64Array; pattern: Uint8Array[] }
  | { status: 'none' }
  | { status: 'limit' };

interface Row {
  idx: number[];
  val: number[];
  lo: number;
  hi: number;
}

export async function mipPreimage(net: Network, k: number, target: ArrayLike<number>, opts: MipOptions): Promise<MipOutcome> {
  const { box } = opts;
  const n = net.layers[0].inDim;
  const relu = k < net.layers.length;
  const bounds = preActivationBounds(net, k, box);
  const colLo: number[] = [];
  const colHi: number[] = [];
  const integer: number[] = [];
  const rows: Row[] = [];
  const addCol = (lo: number, hi: number, int = 0) => {
    colLo.push(lo);
    colHi.push(hi);
    integer.push(int);
    return colLo.length - 1;
  };
  /** idx/val of w·prev for row r of layer j. */
  const affine = (j: number, r: number, prev: number[]) => {
    const { W, inDim } = net.layers[j];
    const idx: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < inDim; i++) {
      const w = W[r * inDim + i];
      if (w !== 0) {
        idx.push(prev[i]);
        val.push(w);
      }
    }
    return { idx, val };
  };

  let prev = Array.from({ length: n }, (_, i) => addCol(box.lower[i], box.upper[i]));
  const xCols = prev;
  // Per hidden layer: for each neuron, its δ column, or −1 (always on) / −2 (always off).
  const states: Int32Array[] = [];
  for (let j = 0; j < k - 1; j++) {
    const { b, outDim } = net.layers[j];
    const { lower: zl, upper: zu } = bounds[j];
    const state = new Int32Array(outDim);
    const cur: number[] = [];
    for (let r = 0; r < outDim; r++) {
      if (zu[r] <= 0) {
        cur.push(addCol(0, 0));
        state[r] = -2;
        continue;
      }
      const { idx, val } = affine(j, r, prev);
      const negVal = val.map((v) => -v);
      if (zl[r] >= 0) {
        const h = addCol(zl[r], zu[r]);
        rows.push({ idx: [h, ...idx], val: [1, ...negVal], lo: b[r], hi: b[r] });
        cur.push(h);
        state[r] = -1;
        continue;
      }
      const h = addCol(0, zu[r]);
      const d = addCol(0, 1, 1);
      rows.push({ idx: [h, ...idx], val: [1, ...negVal], lo: b[r], hi: Infinity });
      rows.push({ idx: [h, ...idx, d], val: [1, ...negVal, -zl[r]], lo: -Infinity, hi: b[r] - zl[r] });
      rows.push({ idx: [h, d], val: [1, -zu[r]], lo: -Infinity, hi: 0 });
      cur.push(h);
      state[r] = d;
    }
    states.push(state);
    prev = cur;
  }
  const { b, outDim } = net.layers[k - 1];
  for (let r = 0; r < outDim; r++) {
    const { idx, val } = affine(k - 1, r, prev);
    if (relu && target[r] <= 0) rows.push({ idx, val, lo: -Infinity, hi: -b[r] });
    else rows.push({ idx, val, lo: target[r] - b[r], hi: target[r] - b[r] });
  }
  if (opts.exclude) {
    const { center, distance } = opts.exclude;
    const sides: number[] = [];
    for (let i = 0; i < n; i++) {
      const lo = box.lower[i];
      const hi = box.upper[i];
      // u⁺ = 1 forces x_i ≥ c_i + distance; u⁻ = 1 forces x_i ≤ c_i − distance.
      const up = addCol(0, center[i] + distance <= hi ? 1 : 0, 1);
      rows.push({ idx: [xCols[i], up], val: [1, -(center[i] + distance - lo)], lo, hi: Infinity });
      const down = addCol(0, center[i] - distance >= lo ? 1 : 0, 1);
      rows.push({ idx: [xCols[i], down], val: [1, hi - center[i] + distance], lo: -Infinity, hi });
      sides.push(up, down);
    }
    rows.push({ idx: sides, val: sides.map(() => 1), lo: 1, hi: Infinity });
  }

  const numCols = colLo.length;
  const A = new Float64Array(rows.length * numCols);
  rows.forEach((row, i) => row.idx.forEach((c, t) => (A[i * numCols + c] += row.val[t])));
  const res = await solveLp({
    numCols,
    numRows: rows.length,
    A,
    rowLower: Float64Array.from(rows, (r) => r.lo),
    rowUpper: Float64Array.from(rows, (r) => r.hi),
    colLower: Float64Array.from(colLo),
    colUpper: Float64Array.from(colHi),
    cost: new Float64Array(numCols),
    integer: Uint8Array.from(integer),
    timeLimit: opts.timeLimit ?? 60,
  });
  if (res.x) {
    const sol = res.x;
    const pattern = states.map((s) => Uint8Array.from(s, (d) => (d === -1 ? 1 : d === -2 ? 0 : sol[d] > 0.5 ? 1 : 0)));
    return { status: 'found', x: sol.slice(0, n), pattern };
  }
  if (res.status === 'infeasible') return { status: 'none' };
  if (res.status === 'limit') return { status: 'limit' };
  throw new Error(`pre-image MIP ended with HiGHS status ${res.modelStatus}`);
}
