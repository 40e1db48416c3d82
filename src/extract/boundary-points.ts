// Boundary points of the black box: kinks on random lines (seed 001 §4.2 "Sampling boundary points"), each with
// the local hyperplane measured from the Jacobian jump.
import { Matrix, QrDecomposition } from 'ml-matrix';
import { findKinks, type Kink, type Line } from '../geometry/kinks.js';
import { measureJumps, type Jump, type JumpRequest } from '../geometry/jump.js';
import { axpy, dot, norm } from '../linalg/vec.js';
import { unitVector } from '../network/random.js';
import type { ExtractContext } from './context.js';
import type { Row } from './first-layer.js';

export interface BoundaryPoint {
  x: Float64Array;
  /** Unit normal of the local hyperplane of the boundary at x (sign arbitrary). */
  normal: Float64Array;
  outputJump: Float64Array;
  /** The direction of the line the point was found on. */
  dir: Float64Array;
  /** A distance along `dir` that stays clear of the neighbouring kinks. */
  side: number;
  /**
   * How many first-layer rows' span the normal was measured in (0: along all n axes). Such a normal is known to lie
   * in that span, so the point is not on a new first-layer hyperplane.
   */
  span: number;
}

/** Random directions outside the known rows' span that must see no part of a normal measured within it. */
const SPARE = 8;

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

/** Two orthonormal bases of one space: the rows' span followed by SPARE directions orthogonal to it, and a rotation. */
export interface SpanBases {
  rows: number;
  basis: Float64Array[];
  rotated: Float64Array[];
}

/**
 * An orthonormal basis of the rows' span followed by SPARE orthonormal random directions orthogonal to it (thin QR),
 * and a second orthonormal basis of the same d-dimensional space, randomly rotated; null when d is no cheaper than
 * the n axes (more than a quarter of them: each point is measured in both bases).
 */
export function rowSpanBases(ctx: ExtractContext, rows: { w: Float64Array }[]): SpanBases | null {
  const n = ctx.oracle.inputDim;
  const d = rows.length + SPARE;
  if (rows.length === 0 || 4 * d > n) return null;
  const M = new Matrix(n, d);
  rows.forEach((r, c) => r.w.forEach((v, i) => M.set(i, c, v)));
  for (let c = rows.length; c < d; c++) unitVector(ctx.rng, n).forEach((v, i) => M.set(i, c, v));
  const Q = new QrDecomposition(M).orthogonalMatrix;
  const G = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) G.set(i, j, ctx.rng.normal());
  const QR = Q.mmul(new QrDecomposition(G).orthogonalMatrix);
  const columns = (A: Matrix) => Array.from({ length: d }, (_, c) => Float64Array.from(A.getColumn(c)));
  return { rows: rows.length, basis: columns(Q), rotated: columns(QR) };
}

/** Where to measure a local hyperplane: a boundary point, the direction it was crossed in, a clean side distance. */
interface Site {
  x: Float64Array;
  dir: Float64Array;
  side: number;
}

/**
 * The Jacobian jumps at the requested points, and for each how many rows' span it was measured in (0: in full). A
 * deeper boundary's normal is a combination of first-layer rows (∇z = Σ_h c_h ∇z_h, each ∇z_h of layer ≥ 2 again such
 * a combination), so with the first-layer rows known it is measured within their span (`bases`, from rowSpanBases;
 * null: in full), in two bases of it:
 * 4(rows + SPARE + 1) queries per point instead of 2(n + 1) (784-128-…: 548 instead of 1570). It is measured again
 * along all n axes when its normal has a part along the spare directions (above the direction tolerance: it leaves
 * the span, a first-layer hyperplane not yet known or a deeper one through neurons not yet known) or the two bases
 * disagree: every boundary's normal lies in that span, so a difference step there crosses a boundary near x far more
 * often than an axis step, and such a crossing can bend the measured normal while the jump stays rank one
 * (784-32-16-10: 1 point in ~200, off by up to 1e-2).
 */
export async function measureInSpan(ctx: ExtractContext, reqs: JumpRequest[], bases: SpanBases | null): Promise<{ jumps: Jump[]; span: number[] }> {
  const jumps = await measureJumps(ctx.oracle, reqs, bases?.basis);
  const span = reqs.map(() => (bases ? bases.rows : 0));
  if (bases) {
    const check = await measureJumps(ctx.oracle, reqs, bases.rotated);
    const outside = (j: Jump) => Math.hypot(...bases.basis.slice(bases.rows).map((u) => dot(u, j.normal)));
    // Distance between the two unit normals, up to sign (≈ the angle between them).
    const apart = (i: number) => norm(axpy(jumps[i].normal, -(Math.sign(dot(jumps[i].normal, check[i].normal)) || 1), check[i].normal));
    const clean = (i: number) => outside(jumps[i]) < ctx.tol.direction && apart(i) < ctx.tol.direction;
    const again = reqs.map((_, i) => i).filter((i) => !clean(i) && jumps[i].magnitude > 0);
    const full = await measureJumps(ctx.oracle, again.map((i) => reqs[i]));
    again.forEach((i, q) => {
      jumps[i] = full[q];
      span[i] = 0;
    });
  }
  return { jumps, span };
}

/** Measure the local hyperplane at the given sites (measureInSpan), dropping those whose sides were not clean. */
async function measureSites(ctx: ExtractContext, sites: Site[], rows: Row[]): Promise<BoundaryPoint[]> {
  const { jumps, span } = await measureInSpan(ctx, sites.map((p) => ({ x: p.x, across: p.dir, side: p.side })), rowSpanBases(ctx, rows));
  const out: BoundaryPoint[] = [];
  jumps.forEach((j, i) => {
    if (j.magnitude === 0 || !(j.rankOneError < ctx.tol.direction)) return;
    out.push({ ...sites[i], normal: j.normal, outputJump: j.outputJump, span: span[i] });
  });
  return out;
}

/**
 * Measure the local hyperplane at the given kinks (2(n+1) queries each, fewer within the span of known first-layer
 * `rows`: measureSites); drops points whose sides were not clean.
 */
export async function measurePoints(ctx: ExtractContext, kinks: Kink[], lines: Line[], sides: number[], rows: Row[] = []): Promise<BoundaryPoint[]> {
  return measureSites(ctx, kinks.map((k, i) => ({ x: k.x, dir: lines[k.line].dir, side: sides[i] })), rows);
}

/** Points measured within the span of fewer rows than `rows`, measured again within the span of all of them. */
export async function remeasureInSpan(ctx: ExtractContext, points: BoundaryPoint[], rows: Row[]): Promise<BoundaryPoint[]> {
  const stale = points.filter((p) => p.span > 0 && p.span < rows.length);
  if (stale.length === 0) return points;
  return points.filter((p) => !stale.includes(p)).concat(await measureSites(ctx, stale, rows));
}
