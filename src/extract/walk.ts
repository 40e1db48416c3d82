// Exploring a boundary B_z (seed 001 §4.3, "Exploring boundary intersections" and "How to explore").
//
// Within one region of the known layers, a layer-k boundary is a flat piece of its local hyperplane. From a point
// on B_z we aim, along that hyperplane, at a layer-(k−1) boundary not yet crossed (the paper's choice: the
// direction in the local hyperplane that reaches the target's local hyperplane soonest), stop at the first known
// boundary (ClosestBoundary), step just past it, and find B_z again with a short kink search along the old
// normal. There the local hyperplane is measured afresh (Jacobian jump); B_z continues through the crossing point
// and its new normal lies in span{old normal, ∇ of the crossed neuron} (the bend, App. B). A deeper boundary bends
// the same way at known boundaries, so the walk cannot tell layers apart: the sign system's consistency does
// (layer-solve.ts), since a deeper boundary also bends where no known boundary is.
import { findKinks } from '../geometry/kinks.js';
import type { KnownLayers, NeuronRef } from '../geometry/known.js';
import { axpy, dot, norm, orthogonalize, normalize, scale, sub } from '../linalg/vec.js';
import { unitVector } from '../network/random.js';
import type { ExtractContext } from './context.js';
import { measureInSpan, rowSpanBases, type SpanBases } from './boundary-points.js';

export interface WalkPoint {
  x: Float64Array;
  /** Unit normal of B_z's local hyperplane at x (sign arbitrary). */
  normal: Float64Array;
}

export interface WalkResult {
  points: WalkPoint[];
  /** Indices of layer-(k−1) neurons whose boundaries were crossed. */
  crossed: Set<number>;
}

function onKnownBoundary(known: KnownLayers, x: Float64Array, rel: number): boolean {
  return known.nearestBoundary(x).distance < rel * (1 + norm(x));
}

/** Residual of v after projection on span{a, b} (all unit-free), relative to |v|. */
function offSpan(v: Float64Array, a: Float64Array, b: Float64Array): number {
  const ua = normalize(a);
  const ob = orthogonalize(b, [ua]);
  const basis = norm(ob) > 1e-12 ? [ua, normalize(ob)] : [ua];
  return norm(orthogonalize(v, basis)) / norm(v);
}

/** Bases of the known first layer's row span, where a deeper boundary's normal is measured (boundary-points.ts). */
export function firstLayerSpan(ctx: ExtractContext, known: KnownLayers): SpanBases | null {
  const first = known.layers[0];
  return rowSpanBases(ctx, Array.from({ length: first.outDim }, (_, j) => ({ w: first.W.subarray(j * first.inDim, (j + 1) * first.inDim) })));
}

/**
 * Walk along B_z from `start`, crossing layer-(k−1) boundaries; with `targets`, aim only at those neurons (to reach
 * the side of a boundary not yet seen). At most `maxSteps` crossings.
 */
export async function walkBoundary(ctx: ExtractContext, known: KnownLayers, start: WalkPoint, maxSteps: number, targets?: Set<number>): Promise<WalkResult> {
  const last = known.depth - 1;
  const width = known.layers[last].outDim;
  const points: WalkPoint[] = [start];
  const crossed = new Set<number>();
  const tried = new Set<number>();
  let failures = 0;
  let cur = start;
  let lastCrossed: NeuronRef | null = null;
  const goal = targets ?? new Set(Array.from({ length: width }, (_, h) => h));
  // The first-layer rows' span, where each step's new normal is measured: one QR per walk, not one per step.
  const span = firstLayerSpan(ctx, known);
  const open = () => [...goal].filter((h) => !crossed.has(h) && !tried.has(h)).length;
  for (let step = 0; step < maxSteps && open() > 0 && failures < 4; step++) {
    const n = cur.x.length;
    const local = known.localGradients(cur.x);
    const { z, grad } = local;
    // Target: the uncrossed layer-(k−1) neuron whose local hyperplane is nearest along B_z's local hyperplane.
    let target = -1;
    let best = Infinity;
    let dir: Float64Array | null = null;
    for (let h = 0; h < width; h++) {
      if (crossed.has(h) || tried.has(h) || !goal.has(h)) continue;
      const g = grad[last].subarray(h * n, (h + 1) * n);
      const t = orthogonalize(g, [cur.normal]);
      const tn = norm(t);
      if (tn < 1e-9 * norm(g)) continue;
      const d = Math.abs(z[last][h]) / tn;
      if (d < best) {
        best = d;
        target = h;
        dir = scale(t, -Math.sign(z[last][h]) / tn);
      }
    }
    if (target < 0 || !dir) break;
    tried.add(target);
    let hit = known.closestBoundary(cur.x, dir, undefined, local);
    if (hit && lastCrossed && hit.neuron.layer === lastCrossed.layer && hit.neuron.index === lastCrossed.index) {
      // The way to the target leads straight back across the boundary just crossed (B_z bends away from the
      // target here): take a random direction within B_z's local hyperplane instead (the paper's simple choice).
      dir = normalize(orthogonalize(unitVector(ctx.rng, n), [cur.normal]));
      hit = known.closestBoundary(cur.x, dir, undefined, local);
    }
    // No crossing within reach: the walk would leave the region where the black box was sampled (or run off along
    // a boundary nearly parallel to dir) and lose all precision.
    if (!hit || hit.c > 10 * (norm(cur.x) + ctx.scale * Math.sqrt(n))) continue;
    const found = await stepAcross(ctx, known, cur, dir, hit, span);
    if (!found) {
      failures++;
      continue;
    }
    points.push(found);
    lastCrossed = hit.neuron;
    if (hit.neuron.layer === last) crossed.add(hit.neuron.index);
    tried.clear(); // a new region: targets that were out of reach may be reachable now
    cur = found;
  }
  return { points, crossed };
}

/**
 * From `from` on B_z, along `dir` within B_z's local hyperplane, the known boundary `hit` is crossed at
 * q = from.x + hit.c·dir: B_z's point just past it, with its new local hyperplane (null when it cannot be found).
 */
export async function stepAcross(
  ctx: ExtractContext,
  known: KnownLayers,
  from: WalkPoint,
  dir: Float64Array,
  hit: { c: number; neuron: NeuronRef },
  span: SpanBases | null,
): Promise<WalkPoint | null> {
  const n = from.x.length;
  const q = axpy(from.x, hit.c, dir);
  // How far the next region extends beyond q along dir.
  const past = axpy(q, 1e-9 * (1 + norm(q)), dir);
  const beyond = known.closestBoundary(past, dir);
  // A short step into the new region: B_z is then found within a few step lengths along the old normal,
  // before other (deeper) boundaries get in the way.
  const eps = ctx.tol.walkStep * Math.min(hit.c, beyond?.c ?? Infinity, ctx.scale * Math.sqrt(n));
  const y0 = axpy(q, eps, dir);
  const bendTol = ctx.tol.precision === 'float64' ? 1e-5 : 1e-1;
  return continuation(ctx, known, y0, q, from.normal, eps, hit.neuron, past, bendTol, span);
}

/**
 * B_z's continuation past the crossing point q: the kinks near y0 along the old normal that no known boundary
 * explains, nearest first (at most three), each checked by its measured local hyperplane: it must pass through q
 * and differ from the old normal only along the crossed neuron's gradient (the bend of App. B).
 */
async function continuation(
  ctx: ExtractContext,
  known: KnownLayers,
  y0: Float64Array,
  q: Float64Array,
  normal: Float64Array,
  eps: number,
  crossed: NeuronRef,
  past: Float64Array,
  bendTol: number,
  span: SpanBases | null,
): Promise<WalkPoint | null> {
  const last = known.depth - 1;
  const n = y0.length;
  const gq = crossed.layer === last ? known.localGradients(past).grad[last].subarray(crossed.index * n, (crossed.index + 1) * n) : null;
  for (const reach of [4 * eps, 64 * eps]) {
    const kinks = await findKinks(ctx.oracle, [{ origin: y0, dir: normal, t0: -reach, t1: reach }], { tol: ctx.tol, pieces: 4 });
    const own = kinks.filter((k) => !onKnownBoundary(known, k.x, ctx.tol.kinkOnKnown)).sort((a, b) => Math.abs(a.t) - Math.abs(b.t)).slice(0, 3);
    if (own.length === 0) continue;
    const sides = own.map((k) => {
      let gap = reach;
      for (const o of kinks) if (o !== k) gap = Math.min(gap, Math.abs(o.t - k.t));
      return Math.min(0.25 * known.nearestBoundary(k.x).distance, 0.25 * gap, ctx.tol.sideCap * ctx.scale);
    });
    // `normal` is B_z's normal before the bend, so the side points sit about a side distance from B_z.
    // B_z's normal lies in the first-layer rows' span: measured there where that is cheaper (boundary-points.ts).
    const reqs = own.map((k, i) => ({ x: k.x, across: normal, side: sides[i], step: sides[i] / 4 }));
    const { jumps } = await measureInSpan(ctx, reqs, span);
    for (let i = 0; i < own.length; i++) {
      const j = jumps[i];
      if (j.magnitude === 0 || !(j.rankOneError < ctx.tol.direction)) continue;
      const d = sub(own[i].x, q);
      const throughQ = Math.abs(dot(j.normal, d)) / (norm(d) || 1);
      const bend = gq ? offSpan(j.normal, normal, gq) : 0;
      if (throughQ < bendTol && bend < bendTol) return { x: own[i].x, normal: j.normal };
    }
  }
  return null;
}
