// Points the known layers locate without queries, by MIPs over their activation patterns (invert/relu-mip.ts):
// - meetingPoint: where a partial row's boundary B_z meets the boundary of an undetermined neuron h. While every
//   undetermined neuron is inactive the partial row predicts B_z exactly, so a point with z = 0, h's pre-activation
//   = 0 and the other undetermined neurons off is a real point of B_z ∩ B_h; approach.ts crosses B_h there for real
//   and the bend gives W_zh (seed 001 App. B). The predicted walk of approach.ts only follows B_z from points already
//   found; when B_z meets B_h only where that walk never leads (10-8-8-8-2 seed 9: a weight listed "off wherever
//   active" though the two neurons are on together within the box), the MIP still finds it;
// - extremeInput: where a direction w over the known layers' activations is lowest or highest (always-on.ts).
import type { KnownLayers } from '../geometry/known.js';
import { cube } from '../invert/bounds.js';
import { ReluMip } from '../invert/relu-mip.js';
import type { Layer, Network } from '../network/types.js';
import type { ExtractContext } from './context.js';
import type { RowEstimate } from './layer-solve.js';

/** The box searched, [−R, R]^n with R = this × the input scale: as far as the extraction's far lines reach. */
const REACH = 1000;

/** Seconds per MIP: a fallback, never the bulk of a layer's time. */
const TIME_LIMIT = 5;

/**
 * Every known neuron but h must be this fraction of its range over the box away from its boundary (the other
 * undetermined ones on their off side): a point inside one region, not at a vertex where several boundaries meet.
 */
const MARGIN = 1e-6;

/**
 * The known layers with layer k−1's signs applied, then z's row (its undetermined weights 0): a network whose last
 * pre-activation is the predicted z wherever the undetermined neurons are off.
 */
function predictedNetwork(known: KnownLayers, signs: Int8Array, row: RowEstimate): Network {
  const last = known.layers[known.depth - 1];
  const signed: Layer = { ...last, W: last.W.map((v, i) => v * signs[Math.floor(i / last.inDim)]), b: last.b.map((v, j) => v * signs[j]) };
  const w = Float64Array.from(row.w);
  for (const u of row.undetermined) w[u] = 0;
  return { activation: 'relu', layers: [...known.layers.slice(0, -1), signed, { inDim: last.outDim, outDim: 1, W: w, b: Float64Array.of(row.b) }] };
}

/**
 * A point of B_z ∩ B_h with every other undetermined neuron of `row` off, nearest the origin (∞-norm) within the box;
 * null when there is none there or the MIP runs out of time. No queries.
 */
export async function meetingPoint(ctx: ExtractContext, known: KnownLayers, signs: Int8Array, row: RowEstimate, h: number): Promise<Float64Array | null> {
  const net = predictedNetwork(known, signs, row);
  const n = net.layers[0].inDim;
  const R = REACH * ctx.scale;
  const k = net.layers.length;
  const mip = new ReluMip(net, k, cube(n, R));
  const on = (j: number, r: number, lo: number, hi: number) => {
    const e = mip.pre(j, r);
    mip.addRow({ idx: e.idx, val: e.val, lo: lo - e.constant, hi: hi - e.constant });
  };
  on(k - 1, 0, 0, 0);
  on(k - 2, h, 0, 0);
  const range = (j: number, r: number) => mip.bounds[j].upper[r] - mip.bounds[j].lower[r];
  for (const u of row.undetermined) if (u !== h) on(k - 2, u, -Infinity, -MARGIN * range(k - 2, u));
  for (let j = 0; j < k - 1; j++) {
    for (let r = 0; r < net.layers[j].outDim; r++) if (!(j === k - 2 && r === h)) mip.separate(j, r, MARGIN * range(j, r));
  }
  // t ≥ |x_i|, minimised: the point nearest the origin, where the black box's answers are most precise.
  const t = mip.addCol(0, R);
  for (const x of mip.xCols) {
    mip.addRow({ idx: [x, t], val: [1, -1], lo: -Infinity, hi: 0 });
    mip.addRow({ idx: [x, t], val: [-1, -1], lo: -Infinity, hi: 0 });
  }
  const res = await mip.solve({ cost: new Map([[t, 1]]), timeLimit: TIME_LIMIT });
  return res.x ? res.x.slice(0, n) : null;
}

/**
 * The input in the box where sign·w·a is lowest ('min') or highest ('max'), a being the known layers' activations:
 * where a neuron of the next layer with direction w is nearest to switching off (always-on.ts). No queries; null
 * when the MIP runs out of time.
 */
export async function extremeInput(ctx: ExtractContext, known: KnownLayers, w: Float64Array, sign: number, sense: 'min' | 'max'): Promise<Float64Array | null> {
  const n = known.layers[0].inDim;
  const R = REACH * ctx.scale;
  const net: Network = { activation: 'relu', layers: [...known.layers, { inDim: w.length, outDim: 1, W: w.map((v) => sign * v), b: Float64Array.of(0) }] };
  const k = net.layers.length;
  const mip = new ReluMip(net, k, cube(n, R));
  const e = mip.pre(k - 1, 0);
  const res = await mip.solve({ cost: new Map(e.idx.map((c, i) => [c, e.val[i]])), maximize: sense === 'max', timeLimit: TIME_LIMIT });
  return res.x ? res.x.slice(0, n) : null;
}
