// An input x in a box whose output after layer k equals the target, found by a mixed-integer program over the
// activation pattern (relu-mip.ts encodes layers 1..k−1). Optionally excludes the box ‖x − center‖∞ < distance (for
// the uniqueness question), with binaries u_i^± choosing which side x_i must be on.
import type { Network } from '../network/types.js';
import type { Box } from './bounds.js';
import { ReluMip } from './relu-mip.js';

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

export async function mipPreimage(net: Network, k: number, target: ArrayLike<number>, opts: MipOptions): Promise<MipOutcome> {
  const { box } = opts;
  const n = net.layers[0].inDim;
  const relu = k < net.layers.length;
  const mip = new ReluMip(net, k, box);
  for (let r = 0; r < net.layers[k - 1].outDim; r++) {
    const { idx, val, constant } = mip.pre(k - 1, r);
    if (relu && target[r] <= 0) mip.addRow({ idx, val, lo: -Infinity, hi: -constant });
    else mip.addRow({ idx, val, lo: target[r] - constant, hi: target[r] - constant });
  }
  if (opts.exclude) {
    const { center, distance } = opts.exclude;
    const sides: number[] = [];
    for (let i = 0; i < n; i++) {
      const lo = box.lower[i];
      const hi = box.upper[i];
      const x = mip.xCols[i];
      // u⁺ = 1 forces x_i ≥ c_i + distance; u⁻ = 1 forces x_i ≤ c_i − distance.
      const up = mip.addCol(0, center[i] + distance <= hi ? 1 : 0, 1);
      mip.addRow({ idx: [x, up], val: [1, -(center[i] + distance - lo)], lo, hi: Infinity });
      const down = mip.addCol(0, center[i] - distance >= lo ? 1 : 0, 1);
      mip.addRow({ idx: [x, down], val: [1, hi - center[i] + distance], lo: -Infinity, hi });
      sides.push(up, down);
    }
    mip.addRow({ idx: sides, val: sides.map(() => 1), lo: 1, hi: Infinity });
  }
  const res = await mip.solve({ timeLimit: opts.timeLimit });
  if (res.x) return { status: 'found', x: res.x.slice(0, n), pattern: mip.pattern(res.x) };
  if (res.status === 'infeasible') return { status: 'none' };
  if (res.status === 'limit') return { status: 'limit' };
  throw new Error(`pre-image MIP ended with HiGHS status ${res.modelStatus}`);
}
