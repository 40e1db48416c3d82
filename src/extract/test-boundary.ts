// TestHyperplane for deeper layers: a candidate layer-k neuron's boundary, predicted everywhere from the known
// layers and its row, must be where the black box has a kink — also far from where it was explored. A boundary
// of a deeper neuron only looks like a layer-k boundary near its explored points, so the prediction fails there.
import { findKinks, type Line } from '../geometry/kinks.js';
import type { KnownLayers } from '../geometry/known.js';
import { randomLines } from './boundary-points.js';
import type { ExtractContext } from './context.js';

/** Predicted pre-activation of a layer-k row along a line, from the known layers (last one with signs applied). */
function predicted(known: KnownLayers, signs: Int8Array, w: Float64Array, b: number, ln: Line, t: number): number {
  const x = Float64Array.from(ln.origin, (v, i) => v + t * ln.dir[i]);
  const z = known.preActs(x)[known.depth - 1];
  let s = b;
  for (let h = 0; h < w.length; h++) {
    const a = signs[h] * z[h];
    if (a > 0) s += w[h] * a;
  }
  return s;
}

/**
 * For each row, `tests` random lines on which the row's predicted boundary is crossed; a short segment around each
 * predicted crossing must hold a kink at the predicted place. Returns the fraction of passed tests per row (1 when
 * no testable crossing was found: nothing speaks against the row).
 */
export async function testBoundaries(
  ctx: ExtractContext,
  known: KnownLayers,
  signs: Int8Array,
  rows: { w: Float64Array; b: number; undetermined: number[] }[],
  tests = 3,
): Promise<number[]> {
  const segs: Line[] = [];
  const owner: number[] = [];
  const where: number[] = [];
  rows.forEach((row, r) => {
    let found = 0;
    for (let attempt = 0; attempt < 12 * tests && found < tests; attempt++) {
      const [ln] = randomLines(ctx, 1);
      const grid = 64;
      let prevT = ln.t0;
      let prev = predicted(known, signs, row.w, row.b, ln, prevT);
      for (let g = 1; g <= grid; g++) {
        const t = ln.t0 + ((ln.t1 - ln.t0) * g) / grid;
        const v = predicted(known, signs, row.w, row.b, ln, t);
        if (Math.sign(v) !== Math.sign(prev) && prev !== 0) {
          // Bisection on the prediction (no queries).
          let lo = prevT;
          let hi = t;
          for (let it = 0; it < 60; it++) {
            const mid = 0.5 * (lo + hi);
            const vm = predicted(known, signs, row.w, row.b, ln, mid);
            if (Math.sign(vm) === Math.sign(prev)) lo = mid;
            else hi = mid;
          }
          const tc = 0.5 * (lo + hi);
          // A partial row predicts its boundary only where its undetermined inputs are inactive.
          const zc = known.preActs(Float64Array.from(ln.origin, (v, i) => v + tc * ln.dir[i]))[known.depth - 1];
          if (row.undetermined.some((h) => signs[h] * zc[h] > 0)) {
            prev = v;
            prevT = t;
            continue;
          }
          const half = 1e-3 * (1 + Math.abs(tc));
          segs.push({ origin: ln.origin, dir: ln.dir, t0: tc - half, t1: tc + half });
          owner.push(r);
          where.push(tc);
          found++;
          break;
        }
        prev = v;
        prevT = t;
      }
    }
  });
  // One piece: the predicted crossing is the segment's midpoint, where the search looks first (with more pieces it
  // would sit on a grid point between two intervals that each look linear).
  const kinks = await findKinks(ctx.oracle, segs, { tol: ctx.tol, pieces: 1 });
  const passed = new Array(rows.length).fill(0);
  const total = new Array(rows.length).fill(0);
  owner.forEach((r) => total[r]++);
  const hit = new Array(segs.length).fill(false);
  const agree = ctx.tol.precision === 'float64' ? 1e-6 : 1e-2;
  for (const k of kinks) if (Math.abs(k.t - where[k.line]) < agree * (1 + Math.abs(where[k.line]))) hit[k.line] = true;
  hit.forEach((h, i) => {
    if (h) passed[owner[i]]++;
  });
  return passed.map((p, r) => (total[r] === 0 ? 1 : p / total[r]));
}
