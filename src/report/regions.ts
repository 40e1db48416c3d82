// Exact linear-region geometry of a network with 2-D input (seed 001 Figure 1), computed from the weights, not by
// sampling: the box is split recursively, layer by layer, by each neuron's line. Within one cell of the partition
// by layers 1..k−1 every neuron of layer k is affine in x, so its boundary B_z there is one straight segment (the
// cell clipped by its line), and the cell splits along those lines into convex sub-cells with one activation
// pattern each. At the last hidden layer each final cell is a linear region with N(x) = J x + c.
import type { Network } from '../network/types.js';

/** [x1 min, x1 max, x2 min, x2 max]. */
export type Box = [number, number, number, number];

export type Point = [number, number];

/** One linear piece of the network: a convex polygon on which N(x) = J x + c. */
export interface Region {
  /** Vertices of the convex polygon, counter-clockwise. */
  polygon: Point[];
  /** Activation pattern per hidden layer: 1 = active (z > 0), 0 = inactive. */
  pattern: Uint8Array[];
  /** Jacobian of the output, row-major [outDim][2]. */
  jacobian: Float64Array;
  /** Output at x = 0 of this region's affine piece. */
  offset: Float64Array;
}

/** A straight piece of a neuron's boundary B_z = {x : z(x) = 0} inside the box. */
export interface BoundarySegment {
  /** 1-based hidden layer. */
  layer: number;
  /** Neuron index within its layer (0-based). */
  neuron: number;
  a: Point;
  b: Point;
}

export interface RegionMap {
  box: Box;
  widths: number[];
  outputDim: number;
  regions: Region[];
  segments: BoundarySegment[];
}

export interface RegionOptions {
  /** Stop with an error beyond this many regions (default 200,000). */
  maxRegions?: number;
}

/** Affine map x ↦ M x + m from the input plane to a layer's values: M row-major [rows][2]. */
interface Affine {
  M: Float64Array;
  m: Float64Array;
}

/** Relative tolerance for "this vertex is on the line". */
const EPS = 1e-12;

/** Parse "-3,3,-3,3" (x1 min, x1 max, x2 min, x2 max); throws a one-line error naming the problem. */
export function parseBox(text: string): Box {
  const parts = text.split(',').map((s) => s.trim());
  const v = parts.map(Number);
  if (v.length !== 4 || parts.some((p) => p === '') || v.some((x) => !Number.isFinite(x))) {
    throw new Error(`invalid box "${text}": expected four numbers x1min,x1max,x2min,x2max, e.g. -3,3,-3,3`);
  }
  if (!(v[0] < v[1]) || !(v[2] < v[3])) throw new Error(`invalid box "${text}": need x1min < x1max and x2min < x2max`);
  return [v[0], v[1], v[2], v[3]];
}

function boxPolygon(box: Box): Point[] {
  return [
    [box[0], box[2]],
    [box[1], box[2]],
    [box[1], box[3]],
    [box[0], box[3]],
  ];
}

/** Values of the affine function a·x + c at the vertices, with values within tolerance of 0 set to exactly 0. */
function vertexValues(poly: Point[], a0: number, a1: number, c: number): Float64Array {
  const vals = new Float64Array(poly.length);
  let scale = Math.abs(c);
  for (const [x, y] of poly) scale = Math.max(scale, Math.abs(a0 * x) + Math.abs(a1 * y) + Math.abs(c));
  const tol = EPS * scale;
  poly.forEach(([x, y], i) => {
    const v = a0 * x + a1 * y + c;
    vals[i] = Math.abs(v) <= tol ? 0 : v;
  });
  return vals;
}

function lerp(p: Point, q: Point, vp: number, vq: number): Point {
  const t = vp / (vp - vq);
  return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
}

/**
 * Split a convex polygon by the line a·x + c = 0. Returns the parts where the function is > 0 and < 0 (null when
 * empty or degenerate) and the segment where the line crosses the polygon's interior (null when it does not).
 */
function splitPolygon(poly: Point[], a0: number, a1: number, c: number): { pos: Point[] | null; neg: Point[] | null; cut: [Point, Point] | null } {
  const vals = vertexValues(poly, a0, a1, c);
  let hasPos = false;
  let hasNeg = false;
  for (const v of vals) {
    if (v > 0) hasPos = true;
    else if (v < 0) hasNeg = true;
  }
  if (!hasNeg) return { pos: poly, neg: null, cut: null };
  if (!hasPos) return { pos: null, neg: poly, cut: null };
  const pos: Point[] = [];
  const neg: Point[] = [];
  const cut: Point[] = [];
  const n = poly.length;
  for (let i = 0; i < n; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % n];
    const vp = vals[i];
    const vq = vals[(i + 1) % n];
    if (vp >= 0) pos.push(p);
    if (vp <= 0) neg.push(p);
    if (vp === 0) cut.push(p);
    if ((vp > 0 && vq < 0) || (vp < 0 && vq > 0)) {
      const x = lerp(p, q, vp, vq);
      pos.push(x);
      neg.push(x);
      cut.push(x);
    }
  }
  // A convex polygon meets a line crossing its interior in exactly two boundary points.
  return { pos: pos.length >= 3 ? pos : null, neg: neg.length >= 3 ? neg : null, cut: cut.length >= 2 ? [cut[0], cut[cut.length - 1]] : null };
}

/** Signed area (positive for counter-clockwise vertices). */
export function polygonArea(poly: Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    s += x0 * y1 - x1 * y0;
  }
  return s / 2;
}

/**
 * The exact linear-region map of `net` (input dimension 2) inside `box`: every region with its activation pattern
 * and affine piece, and every neuron's boundary as straight segments. A neuron that is constant on a cell (its
 * incoming affine map has zero slope there) has no boundary in it.
 */
export function linearRegions(net: Network, box: Box, opts: RegionOptions = {}): RegionMap {
  if (net.layers[0].inDim !== 2) throw new RangeError(`the region map needs a network with input dimension 2, got ${net.layers[0].inDim}`);
  const maxRegions = opts.maxRegions ?? 200_000;
  const hidden = net.layers.length - 1;
  const out = net.layers[hidden];
  const regions: Region[] = [];
  const segments: BoundarySegment[] = [];
  // Area below which a sliver left by rounding is dropped, relative to the box.
  const minArea = 1e-20 * (box[1] - box[0]) * (box[3] - box[2]);

  const visit = (poly: Point[], k: number, aff: Affine, pattern: Uint8Array[]): void => {
    if (k === hidden) {
      if (regions.length >= maxRegions) {
        throw new RangeError(`more than ${maxRegions} linear regions in the box: the network is too large for a region map`);
      }
      const { jacobian, offset } = applyLayer(net, k, aff);
      regions.push({ polygon: poly, pattern, jacobian, offset });
      return;
    }
    const layer = net.layers[k];
    const z = applyLayer(net, k, aff);
    // B_z inside this cell, for each neuron of layer k: the line clipped to the whole cell.
    for (let j = 0; j < layer.outDim; j++) {
      const a0 = z.jacobian[2 * j];
      const a1 = z.jacobian[2 * j + 1];
      if (a0 === 0 && a1 === 0) continue;
      const { cut } = splitPolygon(poly, a0, a1, z.offset[j]);
      if (cut && (cut[0][0] !== cut[1][0] || cut[0][1] !== cut[1][1])) segments.push({ layer: k + 1, neuron: j, a: cut[0], b: cut[1] });
    }
    // Sub-cells with one activation pattern of layer k each.
    let cells: { poly: Point[]; act: Uint8Array }[] = [{ poly, act: new Uint8Array(layer.outDim) }];
    for (let j = 0; j < layer.outDim; j++) {
      const a0 = z.jacobian[2 * j];
      const a1 = z.jacobian[2 * j + 1];
      const next: typeof cells = [];
      for (const cell of cells) {
        const { pos, neg } = splitPolygon(cell.poly, a0, a1, z.offset[j]);
        if (pos && polygonArea(pos) > minArea) {
          const act = Uint8Array.from(cell.act);
          act[j] = 1;
          next.push({ poly: pos, act });
        }
        if (neg && polygonArea(neg) > minArea) next.push({ poly: neg, act: cell.act });
      }
      cells = next;
    }
    for (const cell of cells) {
      // Through the ReLU: inactive rows are zero.
      const M = Float64Array.from(z.jacobian);
      const m = Float64Array.from(z.offset);
      for (let j = 0; j < layer.outDim; j++) {
        if (cell.act[j]) continue;
        M[2 * j] = 0;
        M[2 * j + 1] = 0;
        m[j] = 0;
      }
      visit(cell.poly, k + 1, { M, m }, [...pattern, cell.act]);
    }
  };

  visit(boxPolygon(box), 0, { M: Float64Array.from([1, 0, 0, 1]), m: new Float64Array(2) }, []);
  return { box, widths: net.layers.slice(0, -1).map((l) => l.outDim), outputDim: out.outDim, regions, segments };
}

/** Layer k's pre-activation as an affine function of x, given its input as one: (W M, W m + b). */
function applyLayer(net: Network, k: number, aff: Affine): { jacobian: Float64Array; offset: Float64Array } {
  const { W, b, inDim, outDim } = net.layers[k];
  const jacobian = new Float64Array(outDim * 2);
  const offset = new Float64Array(outDim);
  for (let j = 0; j < outDim; j++) {
    let g0 = 0;
    let g1 = 0;
    let c = b[j];
    for (let i = 0; i < inDim; i++) {
      const w = W[j * inDim + i];
      if (w === 0) continue;
      g0 += w * aff.M[2 * i];
      g1 += w * aff.M[2 * i + 1];
      c += w * aff.m[i];
    }
    jacobian[2 * j] = g0;
    jacobian[2 * j + 1] = g1;
    offset[j] = c;
  }
  return { jacobian, offset };
}

/** ∂N_o/∂x₁ on a region (output o, default the first). */
export function gradientX1(region: Region, output = 0): number {
  return region.jacobian[2 * output];
}

/** Whether the point lies in the closed convex polygon (counter-clockwise), to a relative tolerance. */
export function polygonContains(poly: Point[], p: Point, tol = 1e-9): boolean {
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    const cross = (x1 - x0) * (p[1] - y0) - (y1 - y0) * (p[0] - x0);
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (cross < -tol * (len + 1) * (1 + Math.abs(p[0]) + Math.abs(p[1]))) return false;
  }
  return true;
}
