// Algorithm 1 (seed 001 §4.2): boundary points whose local hyperplane is contained in the boundary everywhere
// (TestHyperplane) belong to first-layer neurons; the hyperplane's equation is the neuron's row up to sign/scale.
import { findKinks, predict, type Line } from '../geometry/kinks.js';
import { tangentBasisVector } from '../geometry/householder.js';
import { dot, norm, orthogonalize, normalize } from '../linalg/vec.js';
import { unitVector } from '../network/random.js';
import type { BoundaryPoint } from './boundary-points.js';
import type { ExtractContext } from './context.js';

/** A hidden neuron's row with unit-norm weights: w·x + b (its sign may still be unknown). */
export interface Row {
  w: Float64Array;
  b: number;
}

/** Relative distance of x from the hyperplane of a unit row, in units of the input's magnitude. */
export function planeResidual(row: Row, x: Float64Array): number {
  return Math.abs(dot(row.w, x) + row.b) / (1 + norm(x));
}

/** Is x on one of the rows' hyperplanes (to the precision the kink search gives)? */
export function onAnyPlane(rows: Row[], x: Float64Array, tolerance: number): boolean {
  return rows.some((r) => planeResidual(r, x) < tolerance);
}

/** Two rows describe the same hyperplane (up to sign). */
export function samePlane(a: Row, b: Row, tolerance: number): boolean {
  const c = dot(a.w, b.w);
  const s = Math.sign(c) || 1;
  return Math.abs(Math.abs(c) - 1) < tolerance && Math.abs(a.b - s * b.b) < tolerance * (1 + Math.abs(a.b));
}

/**
 * TestHyperplane for many candidates at once: the candidate's local hyperplane is followed to `tests` far points
 * (distance ~ the point's own magnitude plus a few input scales, in random directions within the plane); at each a
 * short line across the plane must meet a kink where the plane says.
 */
export async function testHyperplanes(ctx: ExtractContext, points: BoundaryPoint[], tests = 2): Promise<boolean[]> {
  const n = ctx.oracle.inputDim;
  const lines: Line[] = [];
  const dists: number[] = [];
  for (const p of points) {
    const D = norm(p.x) + 4 * ctx.scale * Math.sqrt(n);
    for (let t = 0; t < tests; t++) {
      const u = normalize(orthogonalize(unitVector(ctx.rng, n), [p.normal]));
      const origin = new Float64Array(n);
      for (let i = 0; i < n; i++) origin[i] = p.x[i] + D * u[i];
      const half = ctx.tol.direction * 10 * D;
      lines.push({ origin, dir: p.normal, t0: -half, t1: half });
      dists.push(D);
    }
  }
  const kinks = await findKinks(ctx.oracle, lines, { tol: ctx.tol, pieces: 1 });
  const hit = new Array(lines.length).fill(false);
  for (const k of kinks) if (Math.abs(k.t) < ctx.tol.direction * dists[k.line]) hit[k.line] = true;
  return points.map((_, i) => hit.slice(i * tests, (i + 1) * tests).every(Boolean));
}

/** The row of a first-layer boundary point: its normal, and the bias that puts x on the plane. */
export function rowFromPoint(p: BoundaryPoint): Row {
  return { w: Float64Array.from(p.normal), b: -dot(p.normal, p.x) };
}

/**
 * Refine first-layer rows to float64 precision (DESIGN §9 "refine after finding"). From x0 on the plane, follow
 * the plane a distance D along each vector u_i of an orthonormal basis of w⊥ and measure (5 queries, kink
 * extrapolation on a short segment of half-width h across the plane) the offset t_i at which the true boundary
 * is crossed, and t_0 at x0 itself. To first order the true normal is w − Σ_i ((t_i − t_0)/D) u_i, and x0 + t_0 w
 * is on the true plane; the error left is second order in the initial error. A direction whose segment holds no
 * clean single kink (another boundary inside it, or an initial error larger than h) keeps its component and is
 * counted in `skipped`.
 */
async function refinePass(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], relHalf: number): Promise<{ rows: Row[]; skipped: number[] }> {
  const n = ctx.oracle.inputDim;
  const m = ctx.oracle.outputDim;
  const dist = anchors.map((x0) => norm(x0) + ctx.scale * Math.sqrt(n));
  // Five points −h, −h/2, 0, h/2, h on each segment, all rows in one batch.
  const fracs = [-1, -0.5, 0, 0.5, 1];
  const xs = new Float64Array(rows.length * n * 5 * n);
  rows.forEach((r, j) => {
    const half = relHalf * dist[j];
    for (let k = 0; k < n; k++) {
      const u = k === 0 ? null : tangentBasisVector(r.w, k);
      fracs.forEach((f, q) => {
        const row = ((j * n + k) * 5 + q) * n;
        for (let d = 0; d < n; d++) xs[row + d] = anchors[j][d] + (u ? dist[j] * u[d] : 0) + f * half * r.w[d];
      });
    }
  });
  const ys = await ctx.oracle.query(xs, rows.length * n * 5);
  const at = (i: number, q: number) => ys.subarray((i * 5 + q) * m, (i * 5 + q + 1) * m);
  const skipped: number[] = [];
  const refined = rows.map((r, j) => {
    const half = relHalf * dist[j];
    const offset = (k: number): number | null => {
      const i = j * n + k;
      const c = predict({ line: 0, l: -half, m: 0, r: half, fl: at(i, 0), fm: at(i, 2), fr: at(i, 4) }, -half / 2, half / 2, at(i, 1), at(i, 3), ctx.tol);
      return c ? c.t : null;
    };
    const t0 = offset(0);
    if (t0 === null) {
      skipped.push(n);
      return r;
    }
    let skips = 0;
    const w = Float64Array.from(r.w);
    for (let k = 1; k < n; k++) {
      const t = offset(k);
      if (t === null) {
        skips++;
        continue;
      }
      const u = tangentBasisVector(r.w, k);
      const c = (t - t0) / dist[j];
      for (let i = 0; i < n; i++) w[i] -= c * u[i];
    }
    skipped.push(skips);
    const wn = normalize(w);
    const p = Float64Array.from(anchors[j], (v, i) => v + t0 * r.w[i]);
    return { w: wn, b: -dot(wn, p) };
  });
  return { rows: refined, skipped };
}

/**
 * Two passes: a wide segment first (tolerates a poor initial normal), then a narrow one for the rows that skipped
 * a direction (another boundary inside a wide segment). Returns the rows and the directions still unrefined.
 */
export async function refineRows(ctx: ExtractContext, rows: Row[], anchors: Float64Array[]): Promise<{ rows: Row[]; skipped: number[] }> {
  const first = await refinePass(ctx, rows, anchors, 10 * ctx.tol.direction);
  const again = first.skipped.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  if (again.length === 0) return first;
  const second = await refinePass(ctx, again.map((j) => first.rows[j]), again.map((j) => anchors[j]), 0.01 * ctx.tol.direction);
  again.forEach((j, i) => {
    if (second.skipped[i] <= first.skipped[j]) {
      first.rows[j] = second.rows[i];
      first.skipped[j] = second.skipped[i];
    }
  });
  return first;
}
