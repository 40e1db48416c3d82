// A ReLU network's first layers as mixed-integer constraints over inputs in a box (big-M formulation with interval
// bounds, as in Tjeng et al. 2019). For each hidden neuron with pre-activation z = w·h_prev + b ∈ [l, u]:
//   u ≤ 0: h = 0;   l ≥ 0: h = z;   otherwise, with a binary δ (1 = active):
//   h ≥ z,  h ≥ 0,  h ≤ z − l (1 − δ),  h ≤ u δ.
// Shared by the pre-image MIP (mip.ts) and the identifiability certificates (identifiability.ts), which add their own
// rows on the pre-activations of one layer and solve.
import type { Network } from '../network/types.js';
import { type Box, preActivationBounds } from './bounds.js';
import { type LpResult, solveLp } from './lp.js';

/** One constraint lo ≤ Σ val·x[idx] ≤ hi. */
export interface MipRow {
  idx: number[];
  val: number[];
  lo: number;
  hi: number;
}

/** An affine expression Σ val·x[idx] + constant over the model's columns. */
export interface Affine {
  idx: number[];
  val: number[];
  constant: number;
}

export class ReluMip {
  readonly colLo: number[] = [];
  readonly colHi: number[] = [];
  readonly integer: number[] = [];
  readonly rows: MipRow[] = [];
  /** The input columns. */
  readonly xCols: number[];
  /** Per encoded hidden layer: for each neuron, its δ column, or −1 (on over the whole box) / −2 (off over it). */
  readonly states: Int32Array[] = [];
  /** Interval bounds of the pre-activations of layers 1..k over the box. */
  readonly bounds: Box[];
  /** Columns feeding layer j (0: the inputs; j ≥ 1: layer j's outputs). */
  private readonly inputsOf: number[][];

  /** Layers 1..k−1 encoded as ReLUs; the pre-activations of layer k are available through `pre(k − 1, r)`. */
  constructor(
    readonly net: Network,
    readonly k: number,
    box: Box,
  ) {
    const n = net.layers[0].inDim;
    this.bounds = preActivationBounds(net, k, box);
    this.xCols = Array.from({ length: n }, (_, i) => this.addCol(box.lower[i], box.upper[i]));
    this.inputsOf = [this.xCols];
    for (let j = 0; j < k - 1; j++) {
      const { outDim } = net.layers[j];
      const { lower: zl, upper: zu } = this.bounds[j];
      const state = new Int32Array(outDim);
      const cur: number[] = [];
      for (let r = 0; r < outDim; r++) {
        if (zu[r] <= 0) {
          cur.push(this.addCol(0, 0));
          state[r] = -2;
          continue;
        }
        const z = this.pre(j, r);
        const neg = z.val.map((v) => -v);
        if (zl[r] >= 0) {
          const h = this.addCol(zl[r], zu[r]);
          this.rows.push({ idx: [h, ...z.idx], val: [1, ...neg], lo: z.constant, hi: z.constant });
          cur.push(h);
          state[r] = -1;
          continue;
        }
        const h = this.addCol(0, zu[r]);
        const d = this.addCol(0, 1, 1);
        this.rows.push({ idx: [h, ...z.idx], val: [1, ...neg], lo: z.constant, hi: Infinity });
        this.rows.push({ idx: [h, ...z.idx, d], val: [1, ...neg, -zl[r]], lo: -Infinity, hi: z.constant - zl[r] });
        this.rows.push({ idx: [h, d], val: [1, -zu[r]], lo: -Infinity, hi: 0 });
        cur.push(h);
        state[r] = d;
      }
      this.states.push(state);
      this.inputsOf.push(cur);
    }
  }

  addCol(lo: number, hi: number, int = 0): number {
    this.colLo.push(lo);
    this.colHi.push(hi);
    this.integer.push(int);
    return this.colLo.length - 1;
  }

  /** Pre-activation of neuron r of layer j (0-based, j < k) as an affine expression of the columns. */
  pre(j: number, r: number): Affine {
    const { W, b, inDim } = this.net.layers[j];
    const cols = this.inputsOf[j];
    const idx: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < inDim; i++) {
      const w = W[r * inDim + i];
      if (w !== 0) {
        idx.push(cols[i]);
        val.push(w);
      }
    }
    return { idx, val, constant: b[r] };
  }

  /**
   * Keeps encoded neuron r of layer j (j < k − 1) at least eps from its boundary, on the side its δ chooses:
   * z ≥ eps when active, z ≤ −eps when not (a point in the interior of its activation region). Neurons the box
   * keeps in one state are left alone.
   */
  separate(j: number, r: number, eps: number): void {
    const d = this.states[j][r];
    if (d < 0) return;
    const z = this.pre(j, r);
    const l = this.bounds[j].lower[r];
    const u = this.bounds[j].upper[r];
    this.rows.push({ idx: [...z.idx, d], val: [...z.val, -(eps - l)], lo: l - z.constant, hi: Infinity });
    this.rows.push({ idx: [...z.idx, d], val: [...z.val, -(u + eps)], lo: -Infinity, hi: -eps - z.constant });
  }

  /** Σ val·x[idx] within [lo, hi] (constants moved to the bounds by the caller). */
  addRow(row: MipRow): void {
    this.rows.push(row);
  }

  /** Solves with the linear objective `cost` (columns → coefficients; none: a feasibility problem). */
  solve(opts: { cost?: Map<number, number>; maximize?: boolean; timeLimit?: number } = {}): Promise<LpResult> {
    const numCols = this.colLo.length;
    const A = new Float64Array(this.rows.length * numCols);
    this.rows.forEach((row, i) => row.idx.forEach((c, t) => (A[i * numCols + c] += row.val[t])));
    const cost = new Float64Array(numCols);
    for (const [c, v] of opts.cost ?? []) cost[c] += v;
    return solveLp({
      numCols,
      numRows: this.rows.length,
      A,
      rowLower: Float64Array.from(this.rows, (r) => r.lo),
      rowUpper: Float64Array.from(this.rows, (r) => r.hi),
      colLower: Float64Array.from(this.colLo),
      colUpper: Float64Array.from(this.colHi),
      cost,
      maximize: opts.maximize,
      integer: Uint8Array.from(this.integer),
      timeLimit: opts.timeLimit ?? 60,
    });
  }

  /** The activation pattern of layers 1..k−1 at a solution. */
  pattern(sol: Float64Array): Uint8Array[] {
    return this.states.map((s) => Uint8Array.from(s, (d) => (d === -1 ? 1 : d === -2 ? 0 : sol[d] > 0.5 ? 1 : 0)));
  }
}
