// ClosestBoundary (seed 001 §4.3) against brute force. KnownLayers.closestBoundary computes the first known-neuron
// boundary along p + c·v from p's activation pattern alone; here the same answer is found without that shortcut:
// the true pre-activations of every known neuron are evaluated on a dense grid along the ray, the first grid cell
// where any neuron's sign changes is bisected to machine precision, and the neuron that changed is read off.
// nearestBoundary is checked as a lower bound on the distance to any sign change, attained towards its neuron.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnownLayers, type NeuronRef } from '../src/geometry/known.js';
import { preActivations } from '../src/network/forward.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector, unitVector, type Rng } from '../src/network/random.js';
import type { Layer, Network } from '../src/network/types.js';

/** The hidden layers of a seeded untrained network (paper init): what an extraction would know after k layers. */
function knownNet(inDim: number, widths: number[], seed: number): { known: KnownLayers; net: Network } {
  const full = randomNetwork([inDim, ...widths, 1], seed);
  const layers: Layer[] = full.layers.slice(0, -1);
  // A network whose every layer is hidden: preActivations applies ReLU between layers and returns all of them.
  return { known: new KnownLayers(layers), net: { layers, activation: 'relu' } };
}

/** Signs (1: > 0) of every known neuron at the points p + t_i·v: row i holds point i's neurons, layer by layer. */
function signsAlong(net: Network, p: Float64Array, v: Float64Array, ts: ArrayLike<number>): { s: Uint8Array; width: number } {
  const n = p.length;
  const m = ts.length;
  const xs = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xs[i * n + j] = p[j] + ts[i] * v[j];
  const z = preActivations(net, xs, m);
  const width = net.layers.reduce((a, L) => a + L.outDim, 0);
  const s = new Uint8Array(m * width);
  for (let i = 0; i < m; i++) {
    let o = i * width;
    net.layers.forEach((L, k) => {
      for (let j = 0; j < L.outDim; j++) s[o++] = z[k][i * L.outDim + j] > 0 ? 1 : 0;
    });
  }
  return { s, width };
}

function refOf(net: Network, flat: number): NeuronRef {
  let f = flat;
  for (let k = 0; k < net.layers.length; k++) {
    if (f < net.layers[k].outDim) return { layer: k, index: f };
    f -= net.layers[k].outDim;
  }
  throw new Error('neuron index out of range');
}

/** Neurons (flat indices, except `skip`) whose sign at row `i` of `a` differs from `ref`. */
function differing(a: Uint8Array, i: number, ref: Uint8Array, skip: number): number[] {
  const w = ref.length;
  const d: number[] = [];
  for (let j = 0; j < w; j++) if (j !== skip && a[i * w + j] !== ref[j]) d.push(j);
  return d;
}

/**
 * Brute force: the first c > 0 where any known neuron (except `skip`, a flat index) changes sign along p + c·v, by
 * a 2000-point grid on [0, T] (T doubled until a change is seen) and bisection of the first cell that changes.
 */
function bruteFirstChange(net: Network, p: Float64Array, v: Float64Array, skip = -1): { c: number; neurons: NeuronRef[] } | null {
  const cells = 2000;
  let ref: Uint8Array | null = null;
  for (let T = 1; T <= 1024; T *= 2) {
    const ts = Float64Array.from({ length: cells + 1 }, (_, i) => (T * i) / cells);
    const { s, width } = signsAlong(net, p, v, ts);
    // Compare with the signs at p (p itself may lie on the skipped neuron's boundary, which is ignored).
    ref ??= s.slice(0, width);
    let i = 1;
    while (i <= cells && differing(s, i, ref, skip).length === 0) i++;
    if (i > cells) continue;
    let lo = ts[i - 1];
    let hi = ts[i];
    for (let it = 0; it < 200 && hi - lo > 4 * Number.EPSILON * hi; it++) {
      const mid = 0.5 * (lo + hi);
      if (differing(signsAlong(net, p, v, [mid]).s, 0, ref, skip).length > 0) hi = mid;
      else lo = mid;
    }
    const changed = differing(signsAlong(net, p, v, [hi]).s, 0, ref, skip);
    return { c: 0.5 * (lo + hi), neurons: changed.map((f) => refOf(net, f)) };
  }
  return null;
}

function flatIndex(net: Network, r: NeuronRef): number {
  let f = r.index;
  for (let k = 0; k < r.layer; k++) f += net.layers[k].outDim;
  return f;
}

function randomCase(rng: Rng): { inDim: number; widths: number[] } {
  const depth = 1 + rng.int(3);
  const inDim = 2 + rng.int(5);
  const widths = Array.from({ length: depth }, () => 2 + rng.int(6));
  return { inDim, widths };
}

function relClose(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

test('closestBoundary: c and the neuron agree with brute force on random nets of depth 1-3, input 2-6', () => {
  const rng = makeRng(2024);
  let checked = 0;
  const depthsSeen = new Set<number>();
  for (let net_i = 0; net_i < 36; net_i++) {
    const { inDim, widths } = randomCase(rng);
    const { known, net } = knownNet(inDim, widths, 1000 + net_i);
    depthsSeen.add(widths.length);
    for (let q = 0; q < 8; q++) {
      const p = normalVector(rng, inDim);
      // Directions of varied length: c scales inversely with |v|.
      const v = unitVector(rng, inDim).map((x) => x * (0.25 + 2 * rng.uniform()));
      const hit = known.closestBoundary(p, v);
      const brute = bruteFirstChange(net, p, v);
      const label = `net ${net_i} (${inDim}-${widths.join('-')}), query ${q}`;
      if (!brute) {
        assert.equal(hit, null, `${label}: brute force sees no sign change up to c = 1024, closestBoundary says ${JSON.stringify(hit)}`);
        continue;
      }
      assert.ok(hit, `${label}: closestBoundary returned null, brute force finds a change at c = ${brute.c}`);
      assert.ok(relClose(hit.c, brute.c, 1e-9), `${label}: c = ${hit.c}, brute force ${brute.c}`);
      assert.equal(brute.neurons.length, 1, `${label}: brute force saw ${brute.neurons.length} neurons change at once`);
      assert.deepEqual(hit.neuron, brute.neurons[0], `${label}: neuron`);
      checked++;
    }
  }
  assert.deepEqual([...depthsSeen].sort(), [1, 2, 3]);
  assert.ok(checked >= 250, `only ${checked} rays had a boundary`);
});

test('closestBoundary finds deeper-layer boundaries too (layer-2 and layer-3 neurons are hit first on some rays)', () => {
  const rng = makeRng(77);
  const hitLayers = new Set<number>();
  for (let net_i = 0; net_i < 10; net_i++) {
    const { known, net } = knownNet(4, [5, 5, 4], 2000 + net_i);
    for (let q = 0; q < 20; q++) {
      const p = normalVector(rng, 4);
      const v = unitVector(rng, 4);
      const hit = known.closestBoundary(p, v);
      const brute = bruteFirstChange(net, p, v);
      assert.equal(hit === null, brute === null);
      if (!hit || !brute) continue;
      assert.ok(relClose(hit.c, brute.c, 1e-9), `c = ${hit.c}, brute force ${brute.c}`);
      assert.deepEqual(hit.neuron, brute.neurons[0]);
      hitLayers.add(hit.neuron.layer);
    }
  }
  assert.deepEqual([...hitLayers].sort(), [0, 1, 2], 'every layer should be the first one hit on some ray');
});

test('closestBoundary with exclude: from a point on a last-layer boundary, the next crossing of any other neuron', () => {
  // A neuron of the deepest known layer feeds no other known neuron, so from a point on its boundary the region of
  // every other neuron is well defined, and excluding it gives the first sign change of the others.
  const rng = makeRng(9);
  let checked = 0;
  for (let net_i = 0; net_i < 30; net_i++) {
    const { inDim, widths } = randomCase(rng);
    const { known, net } = knownNet(inDim, widths, 3000 + net_i);
    const last = widths.length - 1;
    for (let q = 0; q < 10; q++) {
      const p = normalVector(rng, inDim);
      const v = unitVector(rng, inDim);
      const first = known.closestBoundary(p, v);
      if (!first || first.neuron.layer !== last) continue;
      const on = p.map((x, i) => x + first.c * v[i]);
      const v2 = unitVector(rng, inDim);
      const hit = known.closestBoundary(on, v2, first.neuron);
      const brute = bruteFirstChange(net, on, v2, flatIndex(net, first.neuron));
      const label = `net ${net_i} (${inDim}-${widths.join('-')}), query ${q}`;
      assert.equal(hit === null, brute === null, `${label}: ${JSON.stringify(hit)} vs ${JSON.stringify(brute)}`);
      if (!hit || !brute) continue;
      assert.notDeepEqual(hit.neuron, first.neuron, `${label}: the excluded neuron was returned`);
      assert.ok(relClose(hit.c, brute.c, 1e-9), `${label}: c = ${hit.c}, brute force ${brute.c}`);
      assert.deepEqual(hit.neuron, brute.neurons[0], `${label}: neuron`);
      checked++;
    }
  }
  assert.ok(checked >= 40, `only ${checked} cases checked`);
});

test('nearestBoundary is a lower bound on the distance to any sign change, attained towards its neuron', () => {
  const rng = makeRng(31);
  let checked = 0;
  for (let net_i = 0; net_i < 24; net_i++) {
    const { inDim, widths } = randomCase(rng);
    const { known, net } = knownNet(inDim, widths, 4000 + net_i);
    for (let q = 0; q < 4; q++) {
      const x = normalVector(rng, inDim);
      const near = known.nearestBoundary(x);
      const label = `net ${net_i} (${inDim}-${widths.join('-')}), point ${q}`;
      assert.ok(near.distance > 0 && Number.isFinite(near.distance), `${label}: distance ${near.distance}`);
      // No sign change within the distance, in any direction.
      for (let d = 0; d < 6; d++) {
        const u = unitVector(rng, inDim);
        const brute = bruteFirstChange(net, x, u);
        if (brute) assert.ok(brute.c >= near.distance * (1 - 1e-9), `${label}: a sign change at ${brute.c} < nearestBoundary ${near.distance}`);
      }
      // Towards the reported neuron's local hyperplane the first sign change is that neuron, at that distance.
      const { z, grad } = known.localGradients(x);
      const { layer, index } = near.neuron;
      const g = grad[layer].subarray(index * inDim, (index + 1) * inDim);
      const gn = Math.hypot(...g);
      const toward = Float64Array.from(g, (gi) => (-Math.sign(z[layer][index]) * gi) / gn);
      const brute = bruteFirstChange(net, x, toward);
      assert.ok(brute, `${label}: no sign change towards the nearest boundary`);
      assert.ok(relClose(brute.c, near.distance, 1e-9), `${label}: reached at ${brute.c}, nearestBoundary ${near.distance}`);
      assert.deepEqual(brute.neurons, [near.neuron], `${label}: neuron`);
      checked++;
    }
  }
  assert.equal(checked, 96);
});

test('localGradients: pre-activations and gradients match finite differences of the true pre-activations', () => {
  const rng = makeRng(5);
  for (let net_i = 0; net_i < 20; net_i++) {
    const { inDim, widths } = randomCase(rng);
    const { known, net } = knownNet(inDim, widths, 5000 + net_i);
    const x = normalVector(rng, inDim);
    const { z, grad } = known.localGradients(x);
    const truth = preActivations(net, x, 1);
    // Step well inside x's region.
    const h = 1e-3 * known.nearestBoundary(x).distance;
    net.layers.forEach((L, k) => {
      for (let j = 0; j < L.outDim; j++) {
        assert.equal(z[k][j], truth[k][j]);
        for (let i = 0; i < inDim; i++) {
          const xp = Float64Array.from(x);
          xp[i] += h;
          const xm = Float64Array.from(x);
          xm[i] -= h;
          const fd = (preActivations(net, xp, 1)[k][j] - preActivations(net, xm, 1)[k][j]) / (2 * h);
          const gi = grad[k][j * inDim + i];
          assert.ok(Math.abs(fd - gi) <= 1e-6 * (1 + Math.abs(gi)), `net ${net_i} layer ${k} neuron ${j} dim ${i}: ${gi} vs ${fd}`);
        }
      }
    });
  }
});
