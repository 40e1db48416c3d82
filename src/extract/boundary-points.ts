// Boundary points of the black box: kinks on random lines (seed 001 §4.2 "Sampling boundary points"), each with
// the local hyperplane measured from the Jacobian jump.
import { findKinks, type Kink, type Line } from '../geometry/kinks.js';
import { measureJumps } from '../geometry/jump.js';
import { unitVector } from '../network/random.js';
import type { ExtractContext } from './context.js';

export interface BoundaryPoint {
  x: Float64Array;
  /** Unit normal of the local hyperplane of the boundary at x (sign arbitrary). */
  normal: Float64Array;
  outputJump: Float64Array;
  /** The direction of the line the point was found on. */
  dir: Float64Array;
  /** A distance along `dir` that stays clear of the neighbouring kinks. */
  side: number;
}

/**
 * Random lines through points x0 ~ N(0, s²I), s = zoom·scale, with uniformly random directions, long enough to cross
 * every first-layer hyperplane with good probability: the crossing parameter of w·x + b = 0 is about √n·(s + |b|/|w|).
 * A zoom above 1 reaches where the biases matter less: the boundaries of deeper neurons that (almost) never change
 * state near the origin.
 */
export function randomLines(ctx: ExtractContext, count: number, zoom = 1): Line[] {
  const n = ctx.oracle.inputDim;
  const s = zoom * ctx.scale;
  const T = 3 * Math.sqrt(n) * s + 3;
  return Array.from({ length: count }, () => {
    const origin = new Float64Array(n);
    for (let i = 0; i < n; i++) origin[i] = s * ctx.rng.normal();
    return { origin, dir: unitVector(ctx.rng, n), t0: -T, t1: T };
  });
}

export async function kinksOnLines(ctx: ExtractContext, lines: Line[]): Promise<Kink[]> {
  return findKinks(ctx.oracle, lines, { tol: ctx.tol, pieces: 32 });
}

/** Safe side distance for each kink: a quarter of the gap to its neighbours on the same line, capped. */
export function sideDistances(kinks: Kink[], cap: number): number[] {
  return kinks.map((k, i) => {
    let gap = cap * 4;
    const prev = kinks[i - 1];
    const next = kinks[i + 1];
    if (prev && prev.line === k.line) gap = Math.min(gap, k.t - prev.t);
    if (next && next.line === k.line) gap = Math.min(gap, next.t - k.t);
    return Math.min(cap, gap / 4);
  });
}

/** Measure the local hyperplane at the given kinks (2(n+1) queries each); drops points whose sides were not clean. */
export async function measurePoints(ctx: ExtractContext, kinks: Kink[], lines: Line[], sides: number[]): Promise<BoundaryPoint[]> {
  const jumps = await measureJumps(
    ctx.oracle,
    kinks.map((k, i) => ({ x: k.x, across: lines[k.line].dir, side: sides[i] })),
  );
  const out: BoundaryPoint[] = [];
  jumps.forEach((j, i) => {
    if (j.magnitude === 0 || !(j.rankOneError < ctx.tol.direction)) return;
    out.push({ x: kinks[i].x, normal: j.normal, outputJump: j.outputJump, dir: lines[kinks[i].line].dir, side: sides[i] });
  });
  return out;
}
