// The sign system of seed 001 App. B (layer-solve.ts). Layer 1 is known exactly except that some rows were
// deliberately FLIPPED (row and bias negated), as Algorithm 1 leaves them; points on every layer-2 boundary B_z
// (exact, from the truth, one per linear region of layer 1) with their exact normals (random sign, as a measured
// normal has) are fed to solveSigns / jointSigns, which must find exactly the flips; solveRow on the corrected
// layer then gives every layer-2 row up to scale (and sign) to 1e-8.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localContext } from './local-context.js';
import { KnownLayers } from '../src/geometry/known.js';
import { jointSigns, pointData, solveRow, solveSigns, withSigns, type PointData, type RowEstimate, type SignEstimate } from '../src/extract/layer-solve.js';
import { walkBoundary, type WalkPoint } from '../src/extract/walk.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector, unitVector, type Rng } from '../src/network/random.js';
import type { Layer, Network } from '../src/network/types.js';

/** The tolerance the deep extraction uses for the numerical null space (float64). */
const NULL_TOL = 1e-9;

function flipped(L: Layer, flips: number[]): Layer {
  const W = Float64Array.from(L.W);
  const b = Float64Array.from(L.b);
  for (const h of flips) {
    for (let i = 0; i < L.inDim; i++) W[h * L.inDim + i] *= -1;
    b[h] *= -1;
  }
  return { inDim: L.inDim, outDim: L.outDim, W, b };
}

/** ∇z_j at x, analytic: Σ_h W2_jh [h active] W1_h. */
function gradZ(net: Network, j: number, x: Float64Array): Float64Array {
  const [L1, L2] = net.layers;
  const h1 = preActivations(net, x, 1)[0];
  const g = new Float64Array(L1.inDim);
  for (let h = 0; h < L1.outDim; h++) {
    if (!(h1[h] > 0)) continue;
    const w = L2.W[j * L2.inDim + h];
    for (let i = 0; i < L1.inDim; i++) g[i] += w * L1.W[h * L1.inDim + i];
  }
  return g;
}

/**
 * Exact points on B_{z_j} (layer-2 neuron j of `net`), one per layer-1 region, found on random lines by a grid and
 * bisection of z_j; points closer than 1e-6 to a layer-1 boundary are skipped. Normals: exact unit ∇z_j with a random
 * sign (as a measured normal has). App. B needs the points chained: the scales of two points are tied only through a
 * layer-1 neuron active at both (the theorem's walk through adjacent regions provides that), so the largest set of
 * points connected that way is returned. Lines are drawn until that set has seen every layer-1 neuron on both sides
 * (or `maxLines` is reached).
 */
function pointsOnBoundary(net: Network, j: number, rng: Rng, maxLines = 400, maxPoints = 24): WalkPoint[] {
  const [L1, L2] = net.layers;
  const n = L1.inDim;
  const H = L1.outDim;
  const known = new KnownLayers([L1]);
  const patterns = new Set<string>();
  const all: { p: WalkPoint; active: boolean[] }[] = [];
  const z2 = (x: Float64Array) => preActivations(net, x, 1)[1][j];
  let best: { p: WalkPoint; active: boolean[] }[] = [];
  for (let line = 0; line < maxLines; line++) {
    const x0 = normalVector(rng, n);
    const u = unitVector(rng, n);
    const at = (t: number) => x0.map((v, i) => v + t * u[i]);
    const T = 6;
    const steps = 600;
    let prev = z2(at(-T));
    for (let s = 1; s <= steps; s++) {
      const t1 = -T + (2 * T * s) / steps;
      const cur = z2(at(t1));
      if (prev > 0 !== cur > 0) {
        let lo = t1 - (2 * T) / steps;
        let hi = t1;
        const loPos = prev > 0;
        for (let it = 0; it < 200 && hi - lo > 1e-16 * (1 + Math.abs(hi)); it++) {
          const mid = 0.5 * (lo + hi);
          if (z2(at(mid)) > 0 === loPos) lo = mid;
          else hi = mid;
        }
        const x = at(0.5 * (lo + hi));
        const h1 = preActivations(net, x, 1)[0];
        const key = Array.from(h1, (v) => (v > 0 ? 1 : 0)).join('');
        const g = gradZ(net, j, x);
        const gn = Math.hypot(...g);
        const clear = known.nearestBoundary(x).distance > 1e-6;
        if (clear && gn > 1e-9 && !patterns.has(key)) {
          patterns.add(key);
          const sign = rng.uniform() < 0.5 ? -1 : 1;
          all.push({ p: { x, normal: g.map((v) => (sign * v) / gn) }, active: Array.from(h1, (v) => v > 0) });
        }
      }
      prev = cur;
    }
    // Largest connected set (union–find over "a neuron with a non-zero weight to z_j is active at both").
    const parent = all.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (let h = 0; h < H; h++) {
      if (L2.W[j * H + h] === 0) continue;
      const idx = all.map((a, i) => (a.active[h] ? i : -1)).filter((i) => i >= 0);
      for (const i of idx.slice(1)) parent[find(i)] = find(idx[0]);
    }
    const groups = new Map<number, { p: WalkPoint; active: boolean[] }[]>();
    all.forEach((a, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), a]));
    best = [...groups.values()].sort((a, b) => b.length - a.length)[0] ?? [];
    const bothSides = (h: number) => best.some((a) => a.active[h]) && best.some((a) => !a.active[h]);
    if (best.length >= maxPoints || (best.length >= H + 4 && Array.from({ length: H }, (_, h) => h).every(bothSides))) break;
  }
  return best.slice(0, maxPoints).map((a) => a.p);
}

/**
 * The true layer-2 row j at unit weight norm over the determined entries (those of `skip` — weights from layer-1
 * neurons never active at the points, which App. B cannot see (§5) — set to 0), and its bias on the same scale.
 */
function trueRow(net: Network, j: number, skip: number[] = []): { w: Float64Array; b: number } {
  const L2 = net.layers[1];
  const w = L2.W.slice(j * L2.inDim, (j + 1) * L2.inDim).map((v, h) => (skip.includes(h) ? 0 : v));
  const s = Math.hypot(...w);
  return { w: w.map((v) => v / s), b: L2.b[j] / s };
}

function assertRowMatches(got: { w: Float64Array; b: number }, want: { w: Float64Array; b: number }, tol: number, label: string): void {
  let d = 0;
  for (let h = 0; h < want.w.length; h++) d += got.w[h] * want.w[h];
  const s = Math.sign(d) || 1;
  let err = Math.abs(s * got.b - want.b);
  for (let h = 0; h < want.w.length; h++) err = Math.max(err, Math.abs(s * got.w[h] - want.w[h]));
  assert.ok(err <= tol, `${label}: row off by ${err.toExponential(2)} (got [${Array.from(got.w, (v) => (s * v).toFixed(6))}] b ${(s * got.b).toFixed(6)}, want [${Array.from(want.w, (v) => v.toFixed(6))}] b ${want.b.toFixed(6)})`);
}

/** solveRow's result against the truth: determined entries to `tol`, undetermined ones really never active. */
function checkRow(net: Network, j: number, row: RowEstimate, points: WalkPoint[], tol: number, label: string): void {
  for (const h of row.undetermined) {
    assert.ok(!points.some((p) => preActivations(net, p.x, 1)[0][h] > 0), `${label}: h${h} reported undetermined but active at a point`);
    assert.equal(row.w[h], 0, `${label}: undetermined weight must be 0`);
  }
  assertRowMatches(row, trueRow(net, j, row.undetermined), tol, label);
}

function patternsOf(net: Network, points: WalkPoint[]): string {
  return points.map((p) => Array.from(preActivations(net, p.x, 1)[0], (v) => (v > 0 ? 1 : 0)).join('')).join(' ');
}

function flipsOf(t: ArrayLike<number>): number[] {
  return Array.from(t, (v, h) => (v < 0 ? h : -1)).filter((h) => h >= 0);
}

for (const { arch, seed, flips } of [
  { arch: [6, 5, 4, 1], seed: 11, flips: [1, 3] },
  { arch: [6, 5, 4, 1], seed: 12, flips: [0, 2, 4] },
  { arch: [8, 6, 5, 2], seed: 13, flips: [5] },
]) {
  test(`solveSigns on ${arch.join('-')} (seed ${seed}): every layer-2 boundary recovers exactly the flips [${flips}]; solveRow gives W2 to 1e-8`, () => {
    const net = randomNetwork(arch, seed);
    const [L1] = net.layers;
    const H = L1.outDim;
    const known = new KnownLayers([flipped(L1, flips)]);
    const rng = makeRng(seed, 5);
    const determined = new Array<boolean>(H).fill(false);
    let complete = 0;
    for (let j = 0; j < arch[2]; j++) {
      const points = pointsOnBoundary(net, j, rng);
      assert.ok(points.length >= 3, `z${j}: only ${points.length} points found on its boundary`);
      const data = pointData(known, points);
      const est = solveSigns(data, H, NULL_TOL);
      assert.equal(est.nullity, 1, `z${j}: layer 1 is not expansive, the null space should be one-dimensional; patterns ${patternsOf(net, points)}`);
      assert.ok(est.consistency < 1e-10, `z${j}: a layer-2 boundary must give a consistent system (s_min/s_max = ${est.consistency})`);
      for (let h = 0; h < H; h++) {
        if (!est.varying[h]) continue;
        const want = flips.includes(h) ? -1 : 1;
        assert.ok(Math.abs(est.ratio[h] - want) < 1e-6, `z${j}, h${h}: γ/β = ${est.ratio[h]}, expected ${want}`);
        determined[h] = true;
      }
      // With the signs corrected (t = −1 on the flipped rows), the row of z_j.
      const t = Int8Array.from({ length: H }, (_, h) => (flips.includes(h) ? -1 : 1));
      const row = solveRow(withSigns(data, t), H, NULL_TOL);
      checkRow(net, j, row, points, 1e-8, `z${j}`);
      if (row.undetermined.length === 0) complete++;
    }
    assert.ok(determined.every(Boolean), `signs determined only for [${determined.map((d, h) => (d ? h : -1)).filter((h) => h >= 0)}]`);
    assert.ok(complete >= 2, `only ${complete} rows fully determined`);
  });
}

test('expansive 4-6-5-2: jointSigns over all layer-2 boundaries recovers exactly the flips; solveRow gives W2 to 1e-8', () => {
  const arch = [4, 6, 5, 2];
  const flips = [0, 3, 4];
  const net = randomNetwork(arch, 21);
  const [L1] = net.layers;
  const H = L1.outDim;
  const known = new KnownLayers([flipped(L1, flips)]);
  const rng = makeRng(21, 5);
  const sets: { data: PointData[]; est: SignEstimate; points: WalkPoint[]; j: number }[] = [];
  for (let j = 0; j < arch[2]; j++) {
    const points = pointsOnBoundary(net, j, rng, 400, 30);
    // z_j may have no boundary where the lines go (always on or always off there), or meet it in one region only.
    if (points.length < 3) continue;
    const data = pointData(known, points);
    const est = solveSigns(data, H, NULL_TOL);
    assert.ok(est.consistency < 1e-10, `z${j}: inconsistent (${est.consistency})`);
    sets.push({ data, est, points, j });
  }
  assert.ok(sets.length >= 3, `only ${sets.length} layer-2 boundaries found`);
  // Six gradients in R^4 are dependent: a single boundary cannot fix the signs alone.
  assert.ok(sets.some((s) => s.est.nullity > 1), 'expected a null space of dimension > 1 for an expansive layer');
  const t = jointSigns(sets, H);
  for (let h = 0; h < H; h++) {
    const want = flips.includes(h) ? -1 : 1;
    assert.ok(Math.abs(t[h] - want) < 1e-6, `h${h}: t = ${t[h]}, expected ${want} (all: [${Array.from(t, (v) => v.toFixed(6))}])`);
  }
  assert.deepEqual(flipsOf(t), flips);
  const signs = Int8Array.from(t, (v) => (v < 0 ? -1 : 1));
  let complete = 0;
  for (const { data, j, points } of sets) {
    const row = solveRow(withSigns(data, signs), H, NULL_TOL);
    checkRow(net, j, row, points, 1e-8, `z${j}`);
    if (row.undetermined.length === 0) complete++;
  }
  assert.ok(complete >= 2, `only ${complete} rows fully determined`);
});

test('walked points: walkBoundary from a point on each layer-2 boundary, then solveSigns finds the flips', async () => {
  const arch = [6, 5, 4, 1];
  const flips = [1, 3];
  const net = randomNetwork(arch, 11);
  const [L1] = net.layers;
  const H = L1.outDim;
  const known = new KnownLayers([flipped(L1, flips)]);
  const ctx = localContext(net, makeRng(3, 17));
  const rng = makeRng(11, 6);
  const determined = new Array<boolean>(H).fill(false);
  for (let j = 0; j < arch[2]; j++) {
    const [start] = pointsOnBoundary(net, j, rng, 50, 1);
    const walk = await walkBoundary(ctx, known, start, 3 * H + 6);
    assert.ok(walk.points.length >= 2, `z${j}: the walk crossed nothing`);
    // Walked points are exact kinks (z_j = 0 to rounding); their normals are measured (Jacobian jumps).
    for (const p of walk.points) assert.ok(Math.abs(preActivations(net, p.x, 1)[1][j]) < 1e-12, `z${j}: a walked point is off B_z`);
    const data = pointData(known, walk.points);
    const est = solveSigns(data, H, NULL_TOL);
    assert.ok(est.consistency < 1e-7, `z${j}: walked points give an inconsistent system (${est.consistency})`);
    for (let h = 0; h < H; h++) {
      if (!est.varying[h]) continue;
      const want = flips.includes(h) ? -1 : 1;
      assert.ok(Math.abs(est.ratio[h] - want) < 1e-4, `z${j}, h${h}: γ/β = ${est.ratio[h]}, expected ${want}`);
      determined[h] = true;
    }
    const t = Int8Array.from({ length: H }, (_, h) => (flips.includes(h) ? -1 : 1));
    const row = solveRow(withSigns(data, t), H, NULL_TOL);
    checkRow(net, j, row, walk.points, 1e-6, `z${j} (walked)`);
  }
  assert.ok(determined.some(Boolean));
});

test('a layer-3 boundary is not a layer-2 boundary: its points give an inconsistent sign system', () => {
  // Points on B_u for a layer-3 neuron u, in several layer-2 regions: ∇u's coefficient on ∇h then depends on the
  // layer-2 pattern, not only on σ_h, and s_min/s_max of the system is far from rounding.
  const net = randomNetwork([6, 5, 4, 3, 1], 31);
  const [L1, L2, L3] = net.layers;
  const H = L1.outDim;
  const n = L1.inDim;
  const known = new KnownLayers([L1]);
  const rng = makeRng(31, 5);
  let tested = 0;
  for (let u = 0; u < L3.outDim; u++) {
    // Net whose "layer 2" is layer 3's neuron u as a function of the input through layers 1–2: reuse pointsOnBoundary
    // by collapsing layers 2–3 is not possible (not affine), so search B_u directly.
    const points: WalkPoint[] = [];
    const patterns2 = new Set<string>();
    for (let line = 0; line < 200 && points.length < 16; line++) {
      const x0 = normalVector(rng, n);
      const dir = unitVector(rng, n);
      const at = (t: number) => x0.map((v, i) => v + t * dir[i]);
      const zu = (x: Float64Array) => preActivations(net, x, 1)[2][u];
      let prev = zu(at(-6));
      for (let s = 1; s <= 600; s++) {
        const t1 = -6 + (12 * s) / 600;
        const cur = zu(at(t1));
        if (prev > 0 !== cur > 0) {
          let lo = t1 - 0.02;
          let hi = t1;
          const loPos = prev > 0;
          for (let it = 0; it < 200 && hi - lo > 1e-16 * (1 + Math.abs(hi)); it++) {
            const mid = 0.5 * (lo + hi);
            if (zu(at(mid)) > 0 === loPos) lo = mid;
            else hi = mid;
          }
          const x = at(0.5 * (lo + hi));
          const [a1, a2] = preActivations(net, x, 1);
          const key = Array.from(a1, (v) => (v > 0 ? 1 : 0)).join('') + '|' + Array.from(a2, (v) => (v > 0 ? 1 : 0)).join('');
          // ∇u = Σ_j W3_uj [j active] ∇z_j
          const g = new Float64Array(n);
          for (let j = 0; j < L2.outDim; j++) {
            if (!(a2[j] > 0)) continue;
            for (let h = 0; h < H; h++) {
              if (!(a1[h] > 0)) continue;
              const c = L3.W[u * L3.inDim + j] * L2.W[j * L2.inDim + h];
              for (let i = 0; i < n; i++) g[i] += c * L1.W[h * n + i];
            }
          }
          const gn = Math.hypot(...g);
          const clear = new KnownLayers([L1, L2]).nearestBoundary(x).distance > 1e-6;
          if (clear && gn > 1e-9 && !patterns2.has(key)) {
            patterns2.add(key);
            points.push({ x, normal: g.map((v) => v / gn) });
          }
        }
        prev = cur;
      }
    }
    const layer2Patterns = new Set([...patterns2].map((k) => k.split('|')[1]));
    if (points.length < 6 || layer2Patterns.size < 2) continue;
    const est = solveSigns(pointData(known, points), H, NULL_TOL);
    assert.ok(est.consistency > 1e-6, `u${u}: ${points.length} points in ${layer2Patterns.size} layer-2 regions look like a layer-2 boundary (s_min/s_max = ${est.consistency})`);
    tested++;
  }
  assert.ok(tested >= 2, `only ${tested} layer-3 boundaries with points in several layer-2 regions were found`);
});
