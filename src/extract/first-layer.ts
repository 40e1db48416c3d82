// Algorithm 1 (seed 001 §4.2): boundary points whose local hyperplane is contained in the boundary everywhere
// (TestHyperplane) belong to first-layer neurons; the hyperplane's equation is the neuron's row up to sign/scale.
import { findKinks, type Line } from '../geometry/kinks.js';
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
