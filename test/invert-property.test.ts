// Property: the class of a layer's pre-image agrees with a brute-force check that does not use the
// null-space projection or omnidirectionality — LPs that maximise and minimise every coordinate over
// the polyhedron in x directly (unbounded in some direction ⟺ unbounded; all ranges 0 ⟺ singleton).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { layerPreimage } from '../src/invert/layer.js';
import { filled, solveLp } from '../src/invert/lp.js';
import type { Layer } from '../src/network/types.js';

type Mode = 'active' | 'tight' | 'inactive';

/** Coordinate ranges of {x : rows with y > 0 equal, rows with y = 0 ≤ 0}: undefined when unbounded. */
async function ranges(layer: Layer, y: Float64Array): Promise<number[] | undefined> {
  const { W, b, inDim: n, outDim: m } = layer;
  const rowLower = Float64Array.from({ length: m }, (_, j) => (y[j] > 0 ? y[j] - b[j] : -Infinity));
  const rowUpper = Float64Array.from({ length: m }, (_, j) => (y[j] > 0 ? y[j] - b[j] : -b[j]));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ext: number[] = [];
    for (const maximize of [true, false]) {
      const cost = new Float64Array(n);
      cost[i] = 1;
      const r = await solveLp({ numCols: n, numRows: m, A: W, rowLower, rowUpper, colLower: filled(n, -Infinity), colUpper: filled(n, Infinity), cost, maximize });
      if (r.status === 'unbounded') return undefined;
      assert.equal(r.status, 'optimal');
      ext.push(r.objective!);
    }
    out.push(ext[0] - ext[1]);
  }
  return out;
}

test('layer pre-image class matches coordinate-wise LP bounds on random layers', async () => {
  const layerArb = fc
    .record({ n: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 10 }) })
    .chain(({ n, m }) =>
      fc.record({
        n: fc.constant(n),
        // Weights on a grid of 1/64 in [−1, 1] (zeros allowed; no denormal-scale rows the LP would drop).
        W: fc.array(fc.integer({ min: -64, max: 64 }).map((v) => v / 64), { minLength: n * m, maxLength: n * m }),
        p: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n }),
        modes: fc.array(fc.constantFrom<Mode>('active', 'tight', 'inactive'), { minLength: m, maxLength: m }),
        gaps: fc.array(fc.double({ min: 0.1, max: 2, noNaN: true }), { minLength: m, maxLength: m }),
      }),
    );
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(layerArb, async ({ n, W, p, modes, gaps }) => {
      const m = modes.length;
      const Wf = Float64Array.from(W);
      // Row j passes through p (tight), or p is `gap` inside (inactive) or outside (active) it.
      const b = new Float64Array(m);
      const y = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let ap = 0;
        for (let i = 0; i < n; i++) ap += Wf[j * n + i] * p[i];
        b[j] = -ap + (modes[j] === 'active' ? gaps[j] : modes[j] === 'inactive' ? -gaps[j] : 0);
        y[j] = modes[j] === 'active' ? gaps[j] : 0;
      }
      const layer: Layer = { inDim: n, outDim: m, W: Wf, b };
      const res = await layerPreimage(layer, y);
      const r = await ranges(layer, y);
      const expected = r === undefined ? 'unbounded' : r.every((v) => v <= 1e-6) ? 'singleton' : 'bounded';
      seen.add(expected);
      assert.equal(res.kind, expected, `${res.reason}; LP ranges ${r}`);
    }),
    { seed: 20240607, numRuns: 150 },
  );
  assert.deepEqual([...seen].sort(), ['bounded', 'singleton', 'unbounded'], 'the random layers cover all three classes');
});
