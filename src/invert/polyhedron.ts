// Classify a polyhedron {x ∈ R^n : E x = e, G x ≤ g} as empty, a single point, bounded (more than one
// point: the seed's "finite" pre-image) or unbounded ("infinite"), and return a point of it.
// Seed 004 slide 5: split on the null space of the equality rows — x = x0 + N z with N an orthonormal
// basis of N(E) — which leaves the inequality system C z ≤ d with C = G N, d = g − G x0. Then
//  - boundedness: the recession cone {z : C z ≤ 0} is {0} iff C is omnidirectional (slides 6, 10);
//  - uniqueness: a solution z0 is the only one iff the rows tight at z0 are omnidirectional
//    ("omnidirectional for z0", slide 8's theorem).
import { affineSolutionSet } from '../linalg/rrqr.js';
import { maxAbs } from '../linalg/vec.js';
import { filled, solveLp } from './lp.js';
import { omnidirectional } from './omnidirectional.js';

export interface Polyhedron {
  n: number;
  /** Equalities E x = e; E row-major p × n. */
  E: Float64Array;
  e: Float64Array;
  p: number;
  /** Inequalities G x ≤ g; G row-major q × n. */
  G: Float64Array;
  g: Float64Array;
  q: number;
  /**
   * Answers "rank [E; G] = n?" if the caller can do it more cheaply than a rank computation on the
   * projected rows (e.g. from a cached rank of a whole weight matrix). Called at most once.
   */
  fullRank?: () => boolean;
}

/** The seed's classes: empty, singleton, finite (bounded, more than one point), infinite (unbounded). */
export type PreimageKind = 'empty' | 'singleton' | 'bounded' | 'unbounded';

export interface PolyhedronClass {
  kind: PreimageKind;
  /** A point of the set (its only point for a singleton); absent when empty. */
  point?: Float64Array;
  /** Dimension of the solution set of the equalities alone (n − rank E); -1 when they are inconsistent. */
  nullity: number;
  /**
   * Radius of a ball around `point` inside the set, within the equalities' solution set: the largest
   * one (capped at 1) when the point comes from the Chebyshev-centre LP. > 0 means the set has interior
   * there; ≈ 0 means it is lower-dimensional.
   */
  radius?: number;
  /** The omnidirectionality margin of the projected inequality rows (see omnidirectional.ts). */
  margin?: number;
  /** One line: why this class. */
  reason: string;
}

export interface ClassifyOptions {
  /** Relative tolerance on equalities and inequalities (default 1e-9). */
  tol?: number;
  /**
   * A point believed to lie in the set (e.g. the input that produced the output being inverted). If
   * it lies strictly inside, it shows the set has interior without the Chebyshev-centre LP, the most
   * expensive step on large layers; otherwise it is ignored.
   */
  knownPoint?: ArrayLike<number>;
}

/** Distances below this, relative to 1 + ‖x‖∞, count as zero (an LP solution is good to ~1e-9). */
const DISTANCE_TOL = 1e-7;

export async function classifyPolyhedron(P: Polyhedron, opts: ClassifyOptions = {}): Promise<PolyhedronClass> {
  const tol = opts.tol ?? 1e-9;
  const { n, p, q, G, g } = P;
  const aff = affineSolutionSet(P.E, P.e, p, n);
  if (aff.residual > tol * Math.max(1, aff.scale)) {
    return { kind: 'empty', nullity: -1, reason: `the equations are inconsistent (least-squares residual ${aff.residual.toExponential(2)})` };
  }
  const { x0, nullBasis: N, nullity: k } = aff;

  // d = g − G x0 and the projected rows C = G N (row j: c_jl = G_j · N_l).
  const d = new Float64Array(q);
  const rowScale = new Float64Array(q);
  const C = new Float64Array(q * k);
  const cNorm = new Float64Array(q);
  for (let j = 0; j < q; j++) {
    const o = j * n;
    let gx = 0;
    let mag = Math.abs(g[j]);
    let gNorm2 = 0;
    for (let i = 0; i < n; i++) {
      const t = G[o + i] * x0[i];
      gx += t;
      mag += Math.abs(t);
      gNorm2 += G[o + i] * G[o + i];
    }
    d[j] = g[j] - gx;
    rowScale[j] = Math.max(1, mag);
    let c2 = 0;
    for (let l = 0; l < k; l++) {
      const nl = l * n;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += G[o + i] * N[nl + i];
      C[j * k + l] = acc;
      c2 += acc * acc;
    }
    // A row orthogonal to the equalities' solution set is a constant: keep it only as a check at x0.
    cNorm[j] = c2 > 1e-24 * gNorm2 ? Math.sqrt(c2) : 0;
  }

  const violatedAtX0 = (j: number) => d[j] < -tol * rowScale[j];
  if (k === 0) {
    for (let j = 0; j < q; j++) {
      if (violatedAtX0(j)) return { kind: 'empty', nullity: 0, reason: `the equations fix x, which violates inequality ${j} by ${(-d[j]).toExponential(2)}` };
    }
    return { kind: 'singleton', point: x0, nullity: 0, reason: 'the equations alone determine x (their rows span R^n)' };
  }
  const keep: number[] = [];
  for (let j = 0; j < q; j++) {
    if (cNorm[j] > 0) keep.push(j);
    else if (violatedAtX0(j)) return { kind: 'empty', nullity: k, reason: `inequality ${j} is constant on the equations' solution set and violated by ${(-d[j]).toExponential(2)}` };
  }
  if (keep.length === 0) {
    return { kind: 'unbounded', point: x0, nullity: k, reason: `${k} directions are free: no inequality constrains the equations' solution set` };
  }

  // Unit rows ĉ_j and distances d̂_j; Chebyshev-centre LP: max t s.t. ĉ_j z + t ≤ d̂_j, t ≤ 1.
  const m = keep.length;
  const Ch = new Float64Array(m * k);
  const dh = new Float64Array(m);
  keep.forEach((j, r) => {
    for (let l = 0; l < k; l++) Ch[r * k + l] = C[j * k + l] / cNorm[j];
    dh[r] = d[j] / cNorm[j];
  });
  const cheb = (opts.knownPoint && strictlyInside(opts.knownPoint, x0, N, Ch, dh, m, k, n)) || (await chebyshev(Ch, dh, m, k));
  const x = x0.slice();
  for (let l = 0; l < k; l++) for (let i = 0; i < n; i++) x[i] += cheb.z[l] * N[l * n + i];
  const distTol = DISTANCE_TOL * (1 + maxAbs(x));
  if (cheb.t < -distTol) {
    return { kind: 'empty', nullity: k, radius: cheb.t, reason: `the inequalities cannot all hold on the equations' solution set (LP: best violation ${(-cheb.t).toExponential(2)})` };
  }
  // More than one point: bounded iff the recession cone {z : Ĉ z ≤ 0} is {0} (slides 6, 10).
  const extent = async (why: string): Promise<PolyhedronClass> => {
    const rec = await omnidirectional(Ch, m, k, { spansAll: P.fullRank });
    const reason = rec.omnidirectional
      ? `${why}; the projected inequality rows are omnidirectional (0 inside their convex hull): bounded`
      : `${why}; the projected inequality rows are not omnidirectional (${rec.reason}): unbounded`;
    return { kind: rec.omnidirectional ? 'bounded' : 'unbounded', point: x, nullity: k, radius: cheb.t, margin: rec.margin, reason };
  };
  if (cheb.t > distTol) return extent(`a ball of radius ${cheb.t >= 1 ? '≥ 1' : cheb.t.toPrecision(3)} fits inside`);

  // Lower-dimensional: the point is unique iff the rows tight at it are omnidirectional (slide 8).
  const tight: number[] = [];
  for (let r = 0; r < m; r++) {
    let s = dh[r];
    for (let l = 0; l < k; l++) s -= Ch[r * k + l] * cheb.z[l];
    if (s <= distTol) tight.push(r);
  }
  const Ct = new Float64Array(tight.length * k);
  tight.forEach((r, i) => Ct.set(Ch.subarray(r * k, (r + 1) * k), i * k));
  const atPoint = await omnidirectional(Ct, tight.length, k);
  if (!atPoint.omnidirectional) return extent(`no interior, but the ${tight.length} rows tight at the point are not omnidirectional, so it is not alone`);
  return {
    kind: 'singleton', point: refineVertex(P, tight.map((r) => keep[r]), x), nullity: k, radius: cheb.t, margin: atPoint.margin,
    reason: `the ${tight.length} inequality rows tight at the point are omnidirectional for it (seed slide 8)`,
  };
}

/**
 * The orthogonal projection of x onto {x : E x = e}, if it also satisfies G x ≤ g (to the relative
 * tolerance): a point of the set close to x, e.g. to make a solver's approximate point exact.
 */
export function projectInto(P: Polyhedron, x: Float64Array, tol = 1e-9): Float64Array | undefined {
  const { n } = P;
  const aff = affineSolutionSet(P.E, P.e, P.p, n);
  if (aff.residual > tol * Math.max(1, aff.scale)) return undefined;
  // x0 + N Nᵀ (x − x0)
  const y = aff.x0.slice();
  for (let l = 0; l < aff.nullity; l++) {
    const v = aff.nullBasis.subarray(l * n, (l + 1) * n);
    let c = 0;
    for (let i = 0; i < n; i++) c += v[i] * (x[i] - aff.x0[i]);
    for (let i = 0; i < n; i++) y[i] += c * v[i];
  }
  return satisfiesInequalities(P, y, tol) ? y : undefined;
}

/** G x ≤ g, each row to tol relative to the size of its terms. */
function satisfiesInequalities(P: Polyhedron, x: Float64Array, tol: number): boolean {
  const { n, q, G, g } = P;
  for (let j = 0; j < q; j++) {
    let gx = 0;
    let mag = Math.abs(g[j]);
    for (let i = 0; i < n; i++) {
      gx += G[j * n + i] * x[i];
      mag += Math.abs(G[j * n + i] * x[i]);
    }
    if (gx - g[j] > tol * Math.max(1, mag)) return false;
  }
  return true;
}

/**
 * The known point's coordinates z = Nᵀ(p − x0) and its smallest distance to a row, if that is clearly
 * positive (the point is strictly inside; its residual on the equalities is dropped by the projection).
 */
function strictlyInside(
  p: ArrayLike<number>, x0: Float64Array, N: Float64Array, Ch: Float64Array, dh: Float64Array, m: number, k: number, n: number,
): { z: Float64Array; t: number } | undefined {
  const z = new Float64Array(k);
  for (let l = 0; l < k; l++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += N[l * n + i] * (p[i] - x0[i]);
    z[l] = c;
  }
  let t = Infinity;
  for (let r = 0; r < m; r++) {
    let s = dh[r];
    for (let l = 0; l < k; l++) s -= Ch[r * k + l] * z[l];
    t = Math.min(t, s);
  }
  return t > DISTANCE_TOL * (1 + maxAbs(p)) ? { z, t } : undefined;
}

/** Above this many matrix entries HiGHS' interior-point method beats its dual simplex on this LP (3× at 3,200 × 476). */
const IPM_ENTRIES = 200_000;

/** max t s.t. Ĉ z + t·1 ≤ d̂, t ≤ 1 (z free): always feasible and bounded. */
async function chebyshev(Ch: Float64Array, dh: Float64Array, m: number, k: number): Promise<{ z: Float64Array; t: number }> {
  const numCols = k + 1;
  const A = new Float64Array(m * numCols);
  for (let r = 0; r < m; r++) {
    A.set(Ch.subarray(r * k, (r + 1) * k), r * numCols);
    A[r * numCols + k] = 1;
  }
  const colUpper = filled(numCols, Infinity);
  colUpper[k] = 1;
  const cost = new Float64Array(numCols);
  cost[k] = 1;
  const res = await solveLp({
    numCols, numRows: m, A, rowLower: filled(m, -Infinity), rowUpper: dh, colLower: filled(numCols, -Infinity), colUpper, cost, maximize: true,
    ...(m * numCols > IPM_ENTRIES ? { solver: 'ipm' as const } : {}),
  });
  if (res.status !== 'optimal' || !res.x) throw new Error(`Chebyshev-centre LP ended with HiGHS status ${res.modelStatus}`);
  return { z: res.x.subarray(0, k), t: res.x[k] };
}

/**
 * A unique point is the solution of its equalities plus its tight inequalities (full column rank);
 * solving that system directly gives it to rounding error instead of the LP's ~1e-9.
 */
function refineVertex(P: Polyhedron, tightRows: number[], fallback: Float64Array): Float64Array {
  const { n, p } = P;
  const rows = p + tightRows.length;
  const A = new Float64Array(rows * n);
  const b = new Float64Array(rows);
  A.set(P.E.subarray(0, p * n));
  b.set(P.e.subarray(0, p));
  tightRows.forEach((j, i) => {
    A.set(P.G.subarray(j * n, (j + 1) * n), (p + i) * n);
    b[p + i] = P.g[j];
  });
  const sol = affineSolutionSet(A, b, rows, n);
  const exact = sol.nullity === 0 && sol.residual <= 1e-9 * Math.max(1, sol.scale) && satisfiesInequalities(P, sol.x0, 1e-9);
  return exact ? sol.x0 : fallback;
}
