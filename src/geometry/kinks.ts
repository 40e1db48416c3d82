// PointsOnLine (seed 001 §4.2), in the precise and query-frugal form of Carlini et al. 2020 (DESIGN §9):
// every segment of every line is processed together, one oracle batch per round.
//
// An interval [l, r] whose midpoint lies on the chord of its ends is linear and dropped. Otherwise its quarter
// points are queried; the left piece (through l, q1) and the right piece (through q3, r) are extrapolated and
// their intersection t* predicts the single kink. The prediction is accepted only if it falls inside (q1, q3),
// agrees across all outputs, explains the midpoint, and two verification queries just left and right of t* land
// on their pieces.
// Anything else is split at the midpoint (whose halves already have their midpoints: the quarter points).
import { norm } from '../linalg/vec.js';
import type { Oracle } from '../oracle/types.js';
import { Tolerances } from './tolerances.js';

/** A line x(t) = origin + t·dir searched on [t0, t1]. */
export interface Line {
  origin: Float64Array;
  dir: Float64Array;
  t0: number;
  t1: number;
}

export interface Kink {
  line: number;
  t: number;
  x: Float64Array;
  /** Output slopes (per unit t) left and right of the kink. */
  slopeLeft: Float64Array;
  slopeRight: Float64Array;
}

export interface Interval {
  line: number;
  l: number;
  m: number;
  r: number;
  fl: Float64Array;
  fm: Float64Array;
  fr: Float64Array;
}

export interface Candidate {
  iv: Interval;
  q1: number;
  q3: number;
  fq1: Float64Array;
  fq3: Float64Array;
  t: number;
  sL: Float64Array;
  sR: Float64Array;
}

export interface KinkSearchOptions {
  /** Pieces each line is cut into before the search (one batch). */
  pieces?: number;
  tol: Tolerances;
  /** Called after every round with the number of open intervals. */
  onRound?: (open: number, found: number) => void;
}

function pointsOf(lines: Line[], specs: { line: number; t: number }[], dim: number): Float64Array {
  const xs = new Float64Array(specs.length * dim);
  specs.forEach((s, i) => {
    const { origin, dir } = lines[s.line];
    for (let j = 0; j < dim; j++) xs[i * dim + j] = origin[j] + s.t * dir[j];
  });
  return xs;
}

async function evalAt(oracle: Oracle, lines: Line[], specs: { line: number; t: number }[]): Promise<Float64Array[]> {
  if (specs.length === 0) return [];
  const ys = await oracle.query(pointsOf(lines, specs, oracle.inputDim), specs.length);
  const m = oracle.outputDim;
  return specs.map((_, i) => ys.subarray(i * m, (i + 1) * m));
}

function scaleOf(...fs: Float64Array[]): number {
  let s = 0;
  for (const f of fs) for (let i = 0; i < f.length; i++) s = Math.max(s, Math.abs(f[i]));
  return s;
}

/** Is f(m) on the chord from f(l) to f(r)? */
function isLinear(iv: Interval, tol: Tolerances): boolean {
  const w = (iv.m - iv.l) / (iv.r - iv.l);
  const eps = tol.value(scaleOf(iv.fl, iv.fm, iv.fr));
  for (let o = 0; o < iv.fl.length; o++) {
    if (Math.abs(iv.fm[o] - (iv.fl[o] + w * (iv.fr[o] - iv.fl[o]))) > eps) return false;
  }
  return true;
}

/** Predict the kink from the two outer quarters; null when the prediction is not self-consistent. */
export function predict(iv: Interval, q1: number, q3: number, fq1: Float64Array, fq3: Float64Array, tol: Tolerances): Candidate | null {
  const n = iv.fl.length;
  const sL = new Float64Array(n);
  const sR = new Float64Array(n);
  let best = -1;
  let bestJump = 0;
  for (let o = 0; o < n; o++) {
    sL[o] = (fq1[o] - iv.fl[o]) / (q1 - iv.l);
    sR[o] = (iv.fr[o] - fq3[o]) / (iv.r - q3);
    const jump = Math.abs(sL[o] - sR[o]);
    if (jump > bestJump) {
      bestJump = jump;
      best = o;
    }
  }
  if (best < 0) return null;
  // Intersection of fl + sL (t − l) and fr + sR (t − r) on the output with the largest slope change.
  const t = (iv.fr[best] - iv.fl[best] + sL[best] * iv.l - sR[best] * iv.r) / (sL[best] - sR[best]);
  // A prediction at (or next to) q1 or q3 is the signature of a kink in an outer quarter: the piece through that
  // quarter is then a chord, and a chord meets the true piece exactly at the quarter point. In float64 the
  // verification below catches it; in float32 the chord's deviation can hide below the rounding, so refuse it here.
  const margin = 0.01 * (q3 - q1);
  if (!(t > q1 + margin && t < q3 - margin)) return null;
  const eps = tol.value(scaleOf(iv.fl, iv.fm, iv.fr, fq1, fq3));
  for (let o = 0; o < n; o++) {
    const left = iv.fl[o] + sL[o] * (t - iv.l);
    const right = iv.fr[o] + sR[o] * (t - iv.r);
    if (Math.abs(left - right) > eps) return null; // outputs disagree on where the kink is
    const atM = iv.m <= t ? iv.fl[o] + sL[o] * (iv.m - iv.l) : iv.fr[o] + sR[o] * (iv.m - iv.r);
    if (Math.abs(atM - iv.fm[o]) > eps) return null; // the midpoint is on neither predicted piece
  }
  return { iv, q1, q3, fq1, fq3, t, sL, sR };
}

/**
 * All kinks of the black box on the given lines. Kinks closer together than the tolerance's minimum width
 * may be reported once or dropped; every reported kink passed the verification query.
 */
export async function findKinks(oracle: Oracle, lines: Line[], opts: KinkSearchOptions): Promise<Kink[]> {
  const { tol } = opts;
  const pieces = opts.pieces ?? 16;
  // Round 0: a grid of 2·pieces+1 points per line gives `pieces` intervals with known midpoints.
  const gridSpecs: { line: number; t: number }[] = [];
  lines.forEach((ln, i) => {
    for (let s = 0; s <= 2 * pieces; s++) gridSpecs.push({ line: i, t: ln.t0 + ((ln.t1 - ln.t0) * s) / (2 * pieces) });
  });
  const grid = await evalAt(oracle, lines, gridSpecs);
  let open: Interval[] = [];
  lines.forEach((_, i) => {
    const base = i * (2 * pieces + 1);
    for (let s = 0; s < pieces; s++) {
      const a = gridSpecs[base + 2 * s];
      const b = gridSpecs[base + 2 * s + 1];
      const c = gridSpecs[base + 2 * s + 2];
      open.push({ line: i, l: a.t, m: b.t, r: c.t, fl: grid[base + 2 * s], fm: grid[base + 2 * s + 1], fr: grid[base + 2 * s + 2] });
    }
  });

  // Intervals are not split below the resolution of the points themselves: float64 spacing at |origin| + |t|·|dir|.
  const floor = lines.map((ln) => 1e-12 * (norm(ln.origin) / (norm(ln.dir) || 1)));
  const kinks: Kink[] = [];
  while (open.length > 0) {
    const active = open.filter((iv) => !isLinear(iv, tol) && iv.r - iv.l > tol.minWidth(iv.l, iv.r) + floor[iv.line]);
    // Quarter points of every non-linear interval, in one batch.
    const qSpecs = active.flatMap((iv) => [
      { line: iv.line, t: 0.5 * (iv.l + iv.m) },
      { line: iv.line, t: 0.5 * (iv.m + iv.r) },
    ]);
    const qs = await evalAt(oracle, lines, qSpecs);
    const candidates: Candidate[] = [];
    const next: Interval[] = [];
    const split = (iv: Interval, q1: number, q3: number, fq1: Float64Array, fq3: Float64Array) => {
      next.push({ line: iv.line, l: iv.l, m: q1, r: iv.m, fl: iv.fl, fm: fq1, fr: iv.fm });
      next.push({ line: iv.line, l: iv.m, m: q3, r: iv.r, fl: iv.fm, fm: fq3, fr: iv.fr });
    };
    active.forEach((iv, i) => {
      const q1 = qSpecs[2 * i].t;
      const q3 = qSpecs[2 * i + 1].t;
      const c = predict(iv, q1, q3, qs[2 * i], qs[2 * i + 1], tol);
      if (c) candidates.push(c);
      else split(iv, q1, q3, qs[2 * i], qs[2 * i + 1]);
    });
    // Two verification queries per predicted kink, at t* ∓ δ: each must lie on its own predicted piece. (A single
    // query at t* is not enough: when the true kink lies in (l, q1) the "left piece" is a chord, and its
    // intersection with the true right piece satisfies f(t*) = prediction by construction.)
    const delta = (c: Candidate) => 1e-4 * (c.iv.r - c.iv.l);
    const vs = await evalAt(
      oracle,
      lines,
      candidates.flatMap((c) => [
        { line: c.iv.line, t: c.t - delta(c) },
        { line: c.iv.line, t: c.t + delta(c) },
      ]),
    );
    candidates.forEach((c, i) => {
      const fMinus = vs[2 * i];
      const fPlus = vs[2 * i + 1];
      const d = delta(c);
      const eps = tol.value(scaleOf(c.iv.fl, c.iv.fr, fMinus, fPlus));
      let ok = true;
      for (let o = 0; o < fMinus.length && ok; o++) {
        const left = c.iv.fl[o] + c.sL[o] * (c.t - d - c.iv.l);
        const right = c.iv.fr[o] + c.sR[o] * (c.t + d - c.iv.r);
        if (Math.abs(left - fMinus[o]) > eps || Math.abs(right - fPlus[o]) > eps) ok = false;
      }
      if (ok) {
        const ln = lines[c.iv.line];
        const x = new Float64Array(ln.origin.length);
        for (let j = 0; j < x.length; j++) x[j] = ln.origin[j] + c.t * ln.dir[j];
        kinks.push({ line: c.iv.line, t: c.t, x, slopeLeft: c.sL, slopeRight: c.sR });
      } else {
        split(c.iv, c.q1, c.q3, c.fq1, c.fq3);
      }
    });
    open = next;
    opts.onRound?.(open.length, kinks.length);
  }
  kinks.sort((a, b) => a.line - b.line || a.t - b.t);
  return kinks;
}
