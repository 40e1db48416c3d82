// Completing a partial deeper row (seed 001 §5: a weight W_zh stays undetermined while layer-(k−1) neuron h is never
// active where B_z was explored). Where every undetermined neuron is inactive, the partial row predicts B_z exactly
// (to the row's precision), so the way along B_z to h's boundary needs no queries: a walk on the predicted boundary,
// crossing known boundaries freely (ClosestBoundary, §4.3) while the other undetermined neurons stay off. One real
// step across h's boundary (walk.ts) then gives a point of B_z with h active, and its normal determines W_zh (App. B).
// A real walk pays a kink search and a Jacobian jump at every boundary on the way; on 784-64-64-10 a rare neuron
// seen at one point kept 20 of 32 weights undetermined after six walks.
import type { KnownLayers, NeuronRef } from '../geometry/known.js';
import { axpy, norm, normalize, orthogonalize } from '../linalg/vec.js';
import type { SpanBases } from './boundary-points.js';
import type { ExtractContext } from './context.js';
import type { RowEstimate } from './layer-solve.js';
import { stepAcross, type WalkPoint } from './walk.js';

/** ∇z of a layer-k row at a point with layer k−1's pre-activations z and gradients grad (H × n), signs applied. */
export function predictedGradient(signs: Int8Array, row: { w: Float64Array }, z: Float64Array, grad: Float64Array, n: number): Float64Array {
  const g = new Float64Array(n);
  for (let h = 0; h < row.w.length; h++) {
    if (signs[h] * z[h] <= 0) continue;
    const c = row.w[h] * signs[h];
    for (let i = 0; i < n; i++) g[i] += c * grad[h * n + i];
  }
  return g;
}

/** Predicted z of a layer-k row from layer k−1's pre-activations (signs applied here). */
function predictedValue(signs: Int8Array, row: { w: Float64Array; b: number }, z: Float64Array): number {
  let v = row.b;
  for (let h = 0; h < row.w.length; h++) if (signs[h] * z[h] > 0) v += row.w[h] * signs[h] * z[h];
  return v;
}

/** Steps at most on the way to h's boundary (crossings, and turns to run along a boundary). */
const MAX_CROSSINGS = 200;

/**
 * From `start` on B_z (every undetermined neuron of `row` inactive there), follow the predicted B_z towards the
 * boundary of undetermined neuron h, then cross it for real. Returns B_z's point just past h's boundary with its
 * measured normal, or null when the predicted walk is blocked, leaves the sampled region, or the real step fails.
 */
export async function approachUndetermined(
  ctx: ExtractContext,
  known: KnownLayers,
  signs: Int8Array,
  row: RowEstimate,
  start: Float64Array,
  h: number,
  span: SpanBases | null,
): Promise<WalkPoint | null> {
  const last = known.depth - 1;
  const n = start.length;
  const limit = 10 * (norm(start) + ctx.scale * Math.sqrt(n));
  const undetermined = new Set(row.undetermined);
  // Boundaries the walk must run along, not across: other undetermined neurons (crossing one would leave the region
  // where the row predicts B_z), and one just crossed that the way to h leads straight back over.
  const along = new Map<string, NeuronRef>();
  let x: Float64Array = Float64Array.from(start);
  for (let step = 0; step < MAX_CROSSINGS; step++) {
    const local = known.localGradients(x);
    const { z, grad } = local;
    const g = predictedGradient(signs, row, z[last], grad[last], n);
    if (norm(g) === 0) return null;
    const normal = normalize(g);
    // Back onto the predicted B_z (rounding drifts off it as the walk goes).
    x = axpy(x, -predictedValue(signs, row, z[last]) / norm(g), normal);
    const basis = [normal];
    for (const a of along.values()) {
      const ga = orthogonalize(grad[a.layer].slice(a.index * n, (a.index + 1) * n), basis);
      if (norm(ga) > 0) basis.push(normalize(ga));
    }
    const toH = grad[last].slice(h * n, (h + 1) * n).map((v) => v * signs[h]);
    const dir = orthogonalize(toH, basis);
    if (norm(dir) < 1e-9 * norm(toH)) return null;
    const d = normalize(dir);
    const hit = known.closestBoundary(x, d, undefined, local);
    if (!hit || hit.c > limit) return null;
    const { layer, index } = hit.neuron;
    if (layer === last && index === h) return stepAcross(ctx, known, { x, normal }, d, hit, span);
    const key = `${layer}:${index}`;
    if ((layer === last && undetermined.has(index)) || hit.c < 1e-6 * (1 + norm(x))) {
      if (along.has(key) || along.size >= n - 2) return null;
      along.set(key, hit.neuron);
      continue;
    }
    // Just past an ordinary known boundary; the predicted B_z bends there.
    x = axpy(x, hit.c + 1e-8 * (1 + norm(x)), d);
    if (norm(x) > limit) return null;
    for (const [k, a] of along) if (!(a.layer === last && undetermined.has(a.index))) along.delete(k);
  }
  return null;
}

/**
 * approachUndetermined from `meet`, a point of B_z ∩ B_h (meeting-point.ts): backed off along the predicted B_z to h's
 * inactive side (half-way to the next known boundary behind, at most 1e-2 of the point's scale), then across B_h for
 * real.
 */
export async function approachFromMeeting(
  ctx: ExtractContext,
  known: KnownLayers,
  signs: Int8Array,
  row: RowEstimate,
  meet: Float64Array,
  h: number,
  span: SpanBases | null,
): Promise<WalkPoint | null> {
  const last = known.depth - 1;
  const n = meet.length;
  const local = known.localGradients(meet);
  const g = predictedGradient(signs, row, local.z[last], local.grad[last], n);
  const toH = local.grad[last].slice(h * n, (h + 1) * n).map((v) => v * signs[h]);
  const along = orthogonalize(toH, [normalize(g)]);
  if (norm(g) === 0 || norm(along) < 1e-9 * norm(toH)) return null;
  const back = normalize(along).map((v) => -v);
  const behind = known.closestBoundary(meet, back, { layer: last, index: h }, local);
  const step = 0.5 * Math.min(behind?.c ?? Infinity, 2e-2 * (ctx.scale + norm(meet)));
  return approachUndetermined(ctx, known, signs, row, axpy(meet, step, back), h, span);
}
