// Algorithm 1 (seed 001 §4.2): boundary points whose local hyperplane is contained in the boundary everywhere
// (TestHyperplane) belong to first-layer neurons; the hyperplane's equation is the neuron's row up to sign/scale.
import { findKinks, type Line } from '../geometry/kinks.js';
import { tangentBasis } from '../geometry/householder.js';
import { dot, median, norm, orthogonalize, normalize } from '../linalg/vec.js';
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
  // The plane's offset at distance D is the normal's error times D: a float32 black box computing in float32 measures
  // weak neurons' normals to a few 1e-3 (an ONNX float32 10-8-8-1 lost two first-layer neurons at 1e-3·D).
  const accept = (ctx.tol.precision === 'float64' ? 1 : 5) * ctx.tol.direction;
  for (const k of kinks) if (Math.abs(k.t) < accept * dists[k.line]) hit[k.line] = true;
  // Float32 segments are 1e-2 of D wide: another boundary inside one can hide the row's own kink when the row's is
  // weak. There, with four or more tests, fewer than half may miss: over 16 tests, exact first-layer rows of
  // 16-12-12-1 seeds 1-4 missed 0-4, deeper boundaries 10-15.
  const misses = ctx.tol.precision === 'float32' && tests >= 4 ? Math.ceil(tests / 2) - 1 : 0;
  return points.map((_, i) => hit.slice(i * tests, (i + 1) * tests).filter((h) => !h).length <= misses);
}

/** The row of a first-layer boundary point: its normal, and the bias that puts x on the plane. */
export function rowFromPoint(p: BoundaryPoint): Row {
  return { w: Float64Array.from(p.normal), b: -dot(p.normal, p.x) };
}

/** One refinement segment: anchor + far·u_k + t·w, t ∈ [−half, half] (k = 0: the anchor itself, far = 0). */
interface Segment {
  row: number;
  k: number;
  far: number;
  half: number;
}

/**
 * Where each segment crosses the true boundary (null when that cannot be told cleanly). Four queries at ±h/2, ±h
 * give the linear pieces left and right; their intersection t* (on the output whose slope changes most) must lie
 * well inside (−h/2, h/2), the pieces must differ there by more than rounding (a segment without a kink has
 * equal pieces and an arbitrary t*), the outputs must agree on t*, and two verification queries at t* ∓ δ must
 * land on their own pieces (as in findKinks).
 *
 * The verification is what catches a second boundary inside the segment (issue "Precision and scale"): it bends
 * one piece, and t* then misses the row's own crossing. A midpoint query cannot see that here: the crossing is at
 * the midpoint by construction, so f(0) is only ever compared with the piece on its own side of t*, which is the
 * clean one whenever the error moved t* towards the bent piece. Several outputs used to reveal it by disagreeing
 * on t*; with one output (784-128-1, seed 1) 21 of ~130k offsets were wrong by 1e-8..4e-6 of D (rows to 4e-6).
 * f(t* ∓ δ) misses its piece by about |slope change|·|error of t*|, so any error above rounding is refused.
 */
async function segmentOffsets(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], segs: Segment[]): Promise<(Offset | null)[]> {
  const n = ctx.oracle.inputDim;
  const m = ctx.oracle.outputDim;
  const tol = ctx.tol;
  const bases = rows.map((r) => tangentBasis(r.w));
  // The points t_q of each listed segment, in order (one tangent vector per segment).
  const query = async (ts: { seg: Segment; at: number[] }[]): Promise<Float64Array[]> => {
    const count = ts.reduce((a, s) => a + s.at.length, 0);
    if (count === 0) return [];
    const xs = new Float64Array(count * n);
    let q = 0;
    for (const { seg, at } of ts) {
      const w = rows[seg.row].w;
      const x0 = anchors[seg.row];
      const u = seg.k === 0 ? null : bases[seg.row](seg.k);
      for (const t of at) {
        for (let d = 0; d < n; d++) xs[q * n + d] = x0[d] + (u ? seg.far * u[d] : 0) + t * w[d];
        q++;
      }
    }
    const ys = await ctx.oracle.query(xs, count);
    return Array.from({ length: count }, (_, i) => ys.subarray(i * m, (i + 1) * m));
  };
  const fracs = [-1, -0.5, 0.5, 1];
  const fs = await query(segs.map((seg) => ({ seg, at: fracs.map((f) => f * seg.half) })));
  interface Cand {
    i: number;
    t: number;
    delta: number;
    left: (o: number, t: number) => number;
    right: (o: number, t: number) => number;
    scale: number;
    jump: number;
  }
  const cands: Cand[] = [];
  segs.forEach((seg, i) => {
    const h = seg.half;
    const [fl, fq1, fq3, fr] = fs.slice(4 * i, 4 * i + 4);
    const sL = new Float64Array(m);
    const sR = new Float64Array(m);
    let best = -1;
    let bestJump = 0;
    let scale = 0;
    for (let o = 0; o < m; o++) {
      sL[o] = (fq1[o] - fl[o]) / (h / 2);
      sR[o] = (fr[o] - fq3[o]) / (h / 2);
      scale = Math.max(scale, Math.abs(fl[o]), Math.abs(fq1[o]), Math.abs(fq3[o]), Math.abs(fr[o]));
      const jump = Math.abs(sL[o] - sR[o]);
      if (jump > bestJump) {
        bestJump = jump;
        best = o;
      }
    }
    const eps = tol.value(scale);
    if (best < 0 || bestJump * (h / 2) <= eps) return;
    const left = (o: number, t: number) => fl[o] + sL[o] * (t + h);
    const right = (o: number, t: number) => fr[o] + sR[o] * (t - h);
    const t = (fr[best] - fl[best] - sL[best] * h - sR[best] * h) / (sL[best] - sR[best]);
    if (!(Math.abs(t) < 0.49 * h)) return;
    for (let o = 0; o < m; o++) if (Math.abs(left(o, t) - right(o, t)) > eps) return;
    cands.push({ i, t, delta: 2e-4 * h, left, right, scale, jump: bestJump });
  });
  const vs = await query(cands.map((c) => ({ seg: segs[c.i], at: [c.t - c.delta, c.t + c.delta] })));
  const out: (Offset | null)[] = segs.map(() => null);
  cands.forEach((c, q) => {
    const fMinus = vs[2 * q];
    const fPlus = vs[2 * q + 1];
    let scale = c.scale;
    for (let o = 0; o < m; o++) scale = Math.max(scale, Math.abs(fMinus[o]), Math.abs(fPlus[o]));
    const eps = tol.value(scale);
    for (let o = 0; o < m; o++) {
      if (Math.abs(c.left(o, c.t - c.delta) - fMinus[o]) > eps || Math.abs(c.right(o, c.t + c.delta) - fPlus[o]) > eps) return;
    }
    out[c.i] = { t: c.t, noise: scale / c.jump };
  });
  return out;
}

/** A segment's crossing t, and its sensitivity to rounding: output scale / slope change (t per relative rounding). */
interface Offset {
  t: number;
  noise: number;
}

/** The crossings alone. */
async function segmentTs(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], segs: Segment[]): Promise<(number | null)[]> {
  return (await segmentOffsets(ctx, rows, anchors, segs)).map((o) => o?.t ?? null);
}

/** How far along the plane from x0 the refinement measures: the point's own magnitude plus the input's. */
function farDistance(ctx: ExtractContext, x0: Float64Array): number {
  return norm(x0) + ctx.scale * Math.sqrt(ctx.oracle.inputDim);
}

/**
 * Half-width of a refinement segment at distance `dist`: wide enough for the initial normal's error (measured: ~1e-10
 * in float64, ~1e-4 in float32), and no wider: another boundary inside the segment with a small slope change moves
 * t* by up to eps/jump unseen (80-40-20-1: at 1e-5·dist a row was off by 7e-10, at 1e-7·dist the worst row is at 2e-11).
 */
function segmentHalf(ctx: ExtractContext, dist: number): number {
  return (ctx.tol.precision === 'float64' ? 0.1 : 10) * ctx.tol.direction * dist;
}

/**
 * Where a failed refinement segment is measured again, in turn (relative to the first segment): the anchor's own
 * segment narrower; a far point elsewhere along ±u_k, where other boundaries cross at other places. Float32 needs
 * more than one retry: its segments are 100 times wider, and 10-8-8-1 kept a row at 1.7e-3 after the first.
 */
const RETRY_MOVES = [
  { far: -1, half: 0.01 },
  { far: 0.5, half: 0.1 },
  { far: -0.5, half: 0.001 },
  { far: 2, half: 0.001 },
];

/** The offsets of segments, each failed one measured again elsewhere (RETRY_MOVES, relative to the segment itself). */
async function measure(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], segs: Segment[]): Promise<(number | null)[]> {
  const ts = await segmentTs(ctx, rows, anchors, segs);
  for (const move of RETRY_MOVES) {
    const failed = segs.flatMap((_, i) => (ts[i] === null ? [i] : []));
    if (failed.length === 0) break;
    const retry = failed.map((i) => (segs[i].k === 0 ? { ...segs[i], half: move.half * segs[i].half } : { ...segs[i], far: move.far * segs[i].far }));
    const again = await segmentTs(ctx, rows, anchors, retry);
    failed.forEach((i, q) => (ts[i] = again[q]));
  }
  return ts;
}

/** Where along ±u_k (in units of D) a component's offset is measured, in turn, until one position gives it. */
const FAR_POSITIONS = [1, -1, 0.5, -0.5, 2, -2];

/** A component measured where the neuron's kink is this many times weaker than at the row's median one is measured again. */
const WEAK = 30;

/**
 * Float64: each component c_k = (t_k − t_0)/far from the first of FAR_POSITIONS whose segment holds one clean kink.
 * Where the row's kink is weak at that far point (the paths from the neuron to the output nearly all off there), the
 * offset carries rounding times output/jump: 80-40-20-1's worst rows each had one component measured at a jump
 * 300–10000 times below the row's median, off by 1e-12..8e-12 of D. Those are measured at the next positions
 * too, and the one with the strongest kink is kept. Returns the components (null where no position gave one) and t_0.
 */
async function singleComponents(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], comps: Segment[], t0: (number | null)[]): Promise<Components> {
  const got: (Offset & { far: number })[][] = comps.map(() => []);
  const rowNoise: number[] = [];
  for (const [p, pos] of FAR_POSITIONS.entries()) {
    const idx = comps.flatMap((c, i) => {
      if (t0[c.row] === null) return [];
      const best = got[i].reduce((a, o) => Math.min(a, o.noise), Infinity);
      return best === Infinity || (p > 0 && best > WEAK * rowNoise[c.row]) ? [i] : [];
    });
    if (idx.length === 0) break;
    const segs = idx.map((i) => ({ ...comps[i], far: pos * comps[i].far }));
    const os = await segmentOffsets(ctx, rows, anchors, segs);
    idx.forEach((i, q) => {
      const o = os[q];
      if (o) got[i].push({ ...o, far: segs[q].far });
    });
    if (p === 0) {
      rows.forEach((_, j) => {
        const noises = comps.flatMap((c, i) => (c.row === j && got[i].length > 0 ? [got[i][0].noise] : []));
        rowNoise[j] = noises.length > 0 ? median(noises) : Infinity;
      });
    }
  }
  const cs = got.map((g, i) => {
    if (g.length === 0) return null;
    const best = g.reduce((a, o) => (o.noise < a.noise ? o : a));
    return (best.t - (t0[comps[i].row] as number)) / best.far;
  });
  return { cs, t0 };
}

/**
 * Float32: the mirror pairs ±s·D along u_k, in turn. Three were too few in an ONNX float32 black box: a component none of
 * them gave cleanly (16-12-12-1 seeds 11, 13) left its row 1e-2 off; the pairs at 0.25 and 3 gave it (rows at 6e-11).
 */
const PAIRS = [1, 0.5, 2, 0.25, 3];

/** A pair's midpoint this far (relative to D) from the row's t_0 marks one of its offsets as another boundary's. */
const MIDPOINT_AGREE = 1e-5;

/**
 * Float32. Its verification queries cannot always tell a kink from a second kink in the same segment (the window is
 * tens of ulps of the output, the segment 1e-2 of the distance): 10-8-8-1 seed 3 had ~10% of its far offsets off by
 * up to 2e-3 of D; 10-8-1 seed 1 had a row's anchor offset t_0 (and its nearby twins) off by 5e-4 of D, and through t_0 every
 * component. So each component is measured at a mirror pair x0 ± s·D·u_k: on a plane c_k = (t₊ − t₋)/(2sD) needs no
 * t_0, and the midpoint (t₊ + t₋)/2 is t_0 exactly. t_0 is the median of the midpoints; a pair whose midpoint misses
 * it holds a foreign kink and the next pair (PAIRS) is measured. A component without a consistent pair takes the
 * median of its one-sided estimates (t − t_0)/far, or with fewer than three the smaller one (a foreign kink moves t*
 * by up to the segment, the row's error less).
 */
async function pairedComponents(ctx: ExtractContext, rows: Row[], anchors: Float64Array[], comps: Segment[], ownT0: (number | null)[]): Promise<Components> {
  const t0 = ownT0.slice();
  const cs: (number | null)[] = comps.map(() => null);
  const sides = comps.map(() => [] as { t: number; far: number }[]);
  for (const [round, s] of PAIRS.entries()) {
    const idx = comps.flatMap((_, i) => (cs[i] === null ? [i] : []));
    if (idx.length === 0) break;
    const segs = idx.flatMap((i) => [1, -1].map((sign) => ({ ...comps[i], far: sign * s * comps[i].far })));
    const ts = await segmentTs(ctx, rows, anchors, segs);
    const pairs = idx.map((i, q) => {
      const [plus, minus] = [ts[2 * q], ts[2 * q + 1]];
      for (const [t, far] of [[plus, segs[2 * q].far], [minus, segs[2 * q + 1].far]] as const) if (t !== null) sides[i].push({ t, far });
      return plus === null || minus === null ? null : { c: (plus - minus) / (2 * s * comps[i].far), mid: 0.5 * (plus + minus) };
    });
    if (round === 0) {
      rows.forEach((_, j) => {
        const mids = pairs.flatMap((p, q) => (p && comps[idx[q]].row === j ? [p.mid] : []));
        if (mids.length >= 3) t0[j] = median(mids);
      });
    }
    pairs.forEach((p, q) => {
      const i = idx[q];
      const row = comps[i].row;
      if (p && t0[row] !== null && Math.abs(p.mid - (t0[row] as number)) <= MIDPOINT_AGREE * comps[i].far) cs[i] = p.c;
    });
  }
  comps.forEach((c, i) => {
    const t = t0[c.row];
    if (cs[i] !== null || t === null || sides[i].length === 0) return;
    const one = sides[i].map((m) => (m.t - t) / m.far);
    cs[i] = one.length >= 3 ? median(one) : one.sort((a, b) => Math.abs(a) - Math.abs(b))[0];
  });
  return { cs, t0 };
}

/** Components c_k of the rows' normal errors (per `comps` entry) and the anchors' offsets t_0 they were taken with. */
interface Components {
  cs: (number | null)[];
  t0: (number | null)[];
}

/**
 * Refine first-layer rows to float64 precision (DESIGN §9 "refine after finding"). From x0 on the plane, follow
 * the plane a distance D along each vector u_i of an orthonormal basis of w⊥ and measure (segmentOffsets, on a
 * segment of half-width h across the plane) the offset t_i at which the true boundary is crossed, and t_0 at x0
 * itself (with its twins). To first order the true normal is w − Σ_i ((t_i − t_0)/D) u_i, and x0 + t_0 w is on the
 * true plane; the error left is second order in the initial error. A segment without one clean kink (another
 * boundary inside it) is measured again elsewhere (RETRY_MOVES): at other distances along ±u_i (other boundaries
 * cross there at other places), or for x0 on narrower segments (x0 is a kink: the crossing is at t ≈ 0). A direction
 * that fails every time keeps its component and is counted in `skipped` (all n when t_0 is unknown).
 */
export async function refineRows(ctx: ExtractContext, rows: Row[], anchors: Float64Array[]): Promise<{ rows: Row[]; skipped: number[] }> {
  const n = ctx.oracle.inputDim;
  const nt = twinCount(n);
  const anchorSegs: Segment[] = [];
  const comps: Segment[] = [];
  rows.forEach((_, j) => {
    const dist = farDistance(ctx, anchors[j]);
    const half = segmentHalf(ctx, dist);
    anchorSegs.push({ row: j, k: 0, far: 0, half }, ...twins(n, j, half));
    for (let k = 1; k < n; k++) comps.push({ row: j, k, far: dist, half });
  });
  const ts = await measure(ctx, rows, anchors, anchorSegs);
  const own = rows.map((_, j) => centreOffset(ts.slice(j * (nt + 1), (j + 1) * (nt + 1))));
  const { cs, t0 } = await (ctx.tol.precision === 'float64' ? singleComponents : pairedComponents)(ctx, rows, anchors, comps, own);
  const skipped: number[] = [];
  const refined = rows.map((r, j) => {
    const t = t0[j];
    if (t === null) {
      skipped.push(n);
      return r;
    }
    let skips = 0;
    const w = Float64Array.from(r.w);
    const basis = tangentBasis(r.w);
    for (let k = 1; k < n; k++) {
      const c = cs[j * (n - 1) + k - 1];
      if (c === null) {
        skips++;
        continue;
      }
      const u = basis(k);
      for (let i = 0; i < n; i++) w[i] -= c * u[i];
    }
    skipped.push(skips);
    const wn = normalize(w);
    const p = Float64Array.from(anchors[j], (v, i) => v + t * r.w[i]);
    return { w: wn, b: -dot(wn, p) };
  });
  return { rows: await refineBiases(ctx, refined), skipped };
}

/**
 * b = −w·p from a point p of the plane carries w's error times |p|: Δb = −Δw·p (80-40-20-1: biases off by 7e-12 with
 * |p| ≈ 9, every weight within 1e-13). At the plane's point nearest the origin, p = −b·w, Δw·p = −b·(Δw·w) vanishes
 * to first order (unit rows: Δw ⊥ w), so one more offset measured there gives b to the kink search's precision. Rows
 * whose segment there holds no clean kink (the neuron invisible in the output there) keep their bias.
 */
async function refineBiases(ctx: ExtractContext, rows: Row[]): Promise<Row[]> {
  const n = ctx.oracle.inputDim;
  const nt = twinCount(n);
  const feet = rows.map((r) => Float64Array.from(r.w, (v) => -r.b * v));
  const ts = await segmentTs(
    ctx,
    rows,
    feet,
    rows.flatMap((_, row) => {
      const half = segmentHalf(ctx, farDistance(ctx, feet[row]));
      return [{ row, k: 0, far: 0, half }, ...twins(n, row, half)];
    }),
  );
  // Float32: the foot is near the origin, where most first-layer planes pass, and its segments are 1e-2 of D wide:
  // 10-16-1 seed 3 had the five offsets of a foot spread over 2e-3 of D. There three must agree with their median
  // (to MIDPOINT_AGREE of D), or the row keeps its bias (−w·p, good to the weights' ~1e-6 times |p|).
  const quorum = ctx.tol.precision === 'float64' ? 1 : 3;
  return rows.map((r, j) => {
    const got = ts.slice(j * (nt + 1), (j + 1) * (nt + 1));
    const t = centreOffset(got);
    if (t === null) return r;
    const agree = got.filter((v) => v !== null && Math.abs(v - t) <= MIDPOINT_AGREE * farDistance(ctx, feet[j])).length;
    return agree >= quorum ? { w: r.w, b: r.b - t } : r;
  });
}

/** How many more segments measure a row's offset at its anchor (fewer when the input has fewer tangent vectors). */
const TWINS = 4;

function twinCount(n: number): number {
  return Math.min(TWINS, n - 1);
}

/**
 * More segments for a row's offset at its anchor: at +h along the first tangent vectors (a failed one is retried
 * elsewhere along its own vector, never on another's place). Their offsets are the anchor's + (the row's error)·h,
 * so the median of all is within (error)·h of the anchor's offset even when some hold another boundary's kink that
 * the verification queries missed (float32: a first-layer bias 2e-2 off from one such offset, 10-8-8-1 seed 1).
 */
function twins(n: number, row: number, half: number): Segment[] {
  return Array.from({ length: twinCount(n) }, (_, i) => ({ row, k: i + 1, far: half, half }));
}

/**
 * The anchor's offset from its own segment and its twins': the median of those measured. With an even count the
 * row's own prediction, 0, is one more value: it breaks the tie between two that disagree.
 */
function centreOffset(ts: (number | null)[]): number | null {
  const got = ts.filter((t): t is number => t !== null);
  if (got.length === 0) return null;
  if (got.length % 2 === 0) got.push(0);
  return got.sort((a, b) => a - b)[(got.length - 1) / 2];
}
