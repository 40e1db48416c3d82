// Pre-images through a whole network: which inputs x give `target` after layer k?
// 1. Layer by layer from the top (seed 004): the pre-image of the target under layer k is a
//    polyhedron (layer.ts, with h ≥ 0 below the first layer). While it is a single point it is the
//    only candidate for the layer below, and so on; reaching the input this way answers exactly and
//    globally (empty, singleton, bounded or unbounded).
// 2. Otherwise the remaining layers 1..j are searched by a MIP over activation patterns (mip.ts) in a
//    box, the point is made exact on its activation region (region.ts), and uniqueness is decided:
//    by that region's class, then by a second MIP that excludes a neighbourhood of the point.
import { maxAbs, sub } from '../linalg/vec.js';
import type { Network } from '../network/types.js';
import { outputAfter, activationPattern } from './activations.js';
import { cube, type Box } from './bounds.js';
import { layerPreimage } from './layer.js';
import { mipPreimage } from './mip.js';
import { classifyPolyhedron, projectInto, type PolyhedronClass, type PreimageKind } from './polyhedron.js';
import { regionPolyhedron } from './region.js';

export interface InvertOptions {
  /** Target is the output after this layer (1-based; default: the last, i.e. the network output). */
  layer?: number;
  /** Search box for the MIP (default [−10, 10]^n). */
  box?: Box;
  /** Seconds per MIP solve (default 60). */
  timeLimit?: number;
  /** Decide uniqueness with a second MIP when the point's region does not (default true). */
  checkUniqueness?: boolean;
}

/**
 * - empty: no input gives the target (scope says where: everywhere, or within the box);
 * - singleton: exactly one input does;
 * - bounded / unbounded: the pre-image is one polyhedron with more than one point (the seed's
 *   finite / infinite), known when the layer-by-layer route reached the input; `unbounded` is also
 *   reported when the MIP point's own linear piece is unbounded (then the whole pre-image is);
 * - multiple: more than one input, found by the MIP route (the point's linear piece is bounded, or a
 *   second, separate pre-image was found); the pre-image's overall shape is not determined;
 * - undecided: a MIP hit its time limit before answering (a point may still be given).
 */
export type NetworkPreimageKind = PreimageKind | 'multiple' | 'undecided';

export interface LayerStep {
  layer: number;
  kind: PreimageKind;
  /** Equalities: rows with output > 0 (all rows of the linear last layer). */
  active: number;
  /** Dimension of the equalities' solution set. */
  nullity: number;
  reason: string;
}

export interface NetworkPreimage {
  kind: NetworkPreimageKind;
  /** 'global': the answer holds for all x ∈ R^n; 'box': only for x in the search box (MIP route). */
  scope: 'global' | 'box';
  layer: number;
  point?: Float64Array;
  /** max_i |N_k(point)_i − target_i|. */
  residual?: number;
  /** true / false when decided, undefined when not. */
  unique?: boolean;
  method: 'layer-by-layer' | 'mip';
  /** Layer-by-layer steps from the top (the last one is where it stopped). */
  steps: LayerStep[];
  /** MIP route: the class of the pre-image inside the point's activation region. */
  piece?: PreimageKind;
  /** MIP route: a second pre-image at ‖· − point‖∞ ≥ the separation, when one exists. */
  witness?: Float64Array;
  reason: string;
}

/** The separation distance used to ask "is there another pre-image?", relative to 1 + ‖x*‖∞. */
const SEPARATION = 1e-6;
/** An intermediate value this small relative to 1 + ‖h‖∞ is an inactive neuron's 0. */
const ZERO_TOL = 1e-9;

export async function invertNetwork(net: Network, target: ArrayLike<number>, opts: InvertOptions = {}): Promise<NetworkPreimage> {
  const L = net.layers.length;
  const k = opts.layer ?? L;
  if (!Number.isInteger(k) || k < 1 || k > L) throw new RangeError(`layer must be an integer in 1..${L}, got ${k}`);
  const width = net.layers[k - 1].outDim;
  if (target.length !== width) throw new RangeError(`target has ${target.length} values, layer ${k} has ${width} outputs`);
  const y = Float64Array.from(target);
  const residualOf = (x: Float64Array) => maxAbsDiff(outputAfter(net, x, k), y);

  const steps: LayerStep[] = [];
  let h: Float64Array = y;
  // The loop ends at layer 1 at the latest (layer 1 always returns).
  for (let j = k; ; j--) {
    const step = await layerPreimage(net.layers[j - 1], h, { relu: j < L, nonnegativeInput: j > 1 });
    steps.push({ layer: j, kind: step.kind, active: step.active, nullity: step.nullity, reason: step.reason });
    if (step.kind === 'empty') {
      return { kind: 'empty', scope: 'global', layer: k, method: 'layer-by-layer', steps, reason: `layer ${j}: ${step.reason}` };
    }
    if (j === 1) {
      const point = step.point!;
      const through = k === 1 ? '' : k === 2 ? 'layer 2 has a single pre-image; ' : `layers ${k}..2 each have a single pre-image; `;
      return {
        kind: step.kind, scope: 'global', layer: k, point, residual: residualOf(point), unique: step.kind === 'singleton',
        method: 'layer-by-layer', steps, reason: `${through}layer 1: ${step.reason}`,
      };
    }
    if (step.kind !== 'singleton') return viaMip(net, k, j, h, steps, opts, residualOf);
    h = snapToZero(step.point!);
  }
}

/** Layers 1..j by MIP, with target h after layer j (the point the layers above were inverted to). */
async function viaMip(
  net: Network, k: number, j: number, h: Float64Array, steps: LayerStep[], opts: InvertOptions,
  residualOf: (x: Float64Array) => number,
): Promise<NetworkPreimage> {
  const n = net.layers[0].inDim;
  const box = opts.box ?? cube(n, 10);
  const timeLimit = opts.timeLimit ?? 60;
  const base = { layer: k, method: 'mip' as const, steps };
  const above = j === k ? '' : j + 1 === k ? ` (layer ${k} inverted to a single point first)` : ` (layers ${k}..${j + 1} inverted to single points first)`;
  const found = await mipPreimage(net, j, h, { box, timeLimit });
  if (found.status === 'none') {
    return { ...base, kind: 'empty', scope: 'box', reason: `no input in the search box reaches the target${above}` };
  }
  if (found.status === 'limit') {
    return { ...base, kind: 'undecided', scope: 'box', reason: `the MIP hit its ${timeLimit}s time limit${above}` };
  }
  const exact = await exactOnRegion(net, j, h, found.x, found.pattern);
  if (!exact) {
    return {
      ...base, kind: 'undecided', scope: 'box', point: found.x, residual: residualOf(found.x),
      reason: `the MIP's point could not be made exact on its activation region (MIP tolerance)${above}`,
    };
  }
  const point = exact.point;
  const residual = residualOf(point);
  if (exact.kind !== 'singleton') {
    return {
      ...base, kind: exact.kind === 'unbounded' ? 'unbounded' : 'multiple', scope: 'global', point, residual, unique: false, piece: exact.kind,
      reason: `the point's activation region alone holds ${exact.kind === 'unbounded' ? 'an unbounded' : 'a bounded'} set of pre-images: ${exact.reason}${above}`,
    };
  }
  if (opts.checkUniqueness === false) {
    return { ...base, kind: 'undecided', scope: 'box', point, residual, piece: 'singleton', reason: `the point is alone in its activation region; uniqueness not checked${above}` };
  }
  const distance = SEPARATION * (1 + maxAbs(point));
  const other = await mipPreimage(net, j, h, { box, timeLimit, exclude: { center: point, distance } });
  if (other.status === 'none') {
    return {
      ...base, kind: 'singleton', scope: 'box', point, residual, unique: true, piece: 'singleton',
      reason: `alone in its activation region, and no other input in the box within ${distance.toExponential(1)} of ‖·‖∞ reaches the target${above}`,
    };
  }
  if (other.status === 'limit') {
    return { ...base, kind: 'undecided', scope: 'box', point, residual, piece: 'singleton', reason: `the uniqueness MIP hit its ${timeLimit}s time limit${above}` };
  }
  const second = await exactOnRegion(net, j, h, other.x, other.pattern);
  if (second && maxAbsDiff(second.point, point) >= distance / 2) {
    return {
      ...base, kind: 'multiple', scope: 'global', point, residual, unique: false, piece: 'singleton', witness: second.point,
      reason: `another input, ${maxAbsDiff(second.point, point).toExponential(2)} away in ‖·‖∞, reaches the target too${above}`,
    };
  }
  return { ...base, kind: 'undecided', scope: 'box', point, residual, piece: 'singleton', reason: `the uniqueness MIP's second point could not be made exact (MIP tolerance)${above}` };
}

/**
 * The pre-image inside the MIP point's activation region, classified exactly, with a point of it: the
 * MIP's point made exact (projected onto the region's equations) when that stays in the region, else
 * the classifier's. Tries the MIP's pattern, then the pattern the network actually has at the MIP's
 * point (they differ only on neurons at ~0).
 */
async function exactOnRegion(
  net: Network, j: number, h: Float64Array, x: Float64Array, pattern: Uint8Array[],
): Promise<(PolyhedronClass & { point: Float64Array }) | undefined> {
  for (const pat of [pattern, activationPattern(net, x, j - 1)]) {
    const region = regionPolyhedron(net, j, pat, h);
    const cls = await classifyPolyhedron(region);
    if (cls.kind === 'empty') continue;
    const point = cls.kind === 'singleton' ? cls.point! : (projectInto(region, x) ?? cls.point!);
    return { ...cls, point };
  }
  return undefined;
}

/**
 * A computed ReLU output: entries within rounding of 0 (either sign; the step's polyhedron already
 * checked h ≥ 0 to its tolerance) are the exact zeros of inactive neurons, and must be seen as such by
 * the layer below (inequalities, not equations).
 */
function snapToZero(h: Float64Array): Float64Array {
  const tol = ZERO_TOL * (1 + maxAbs(h));
  return h.map((v) => (v <= tol ? 0 : v));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbs(sub(a, b));
}
