// The inputs that have a given activation pattern in layers 1..k−1 and produce `target` after layer
// k: on that region every pre-activation is affine in x (affine.ts), so this is a polyhedron —
//   layers j < k: z_j ≥ 0 on active neurons, z_j ≤ 0 on inactive ones;
//   layer k: with ReLU, z_k = y where y > 0 and z_k ≤ 0 where y = 0; the linear last layer, z_k = y.
// The pre-image of y is the union of these polyhedra over all patterns.
import type { Network } from '../network/types.js';
import { regionAffineMaps } from './affine.js';
import type { Polyhedron } from './polyhedron.js';

export function regionPolyhedron(net: Network, k: number, pattern: Uint8Array[], target: ArrayLike<number>): Polyhedron {
  const n = net.layers[0].inDim;
  const maps = regionAffineMaps(net, k, pattern);
  const relu = k < net.layers.length;
  const eqRows: { row: Float64Array; rhs: number }[] = [];
  const ineqRows: { row: Float64Array; rhs: number }[] = [];
  for (let j = 0; j < k; j++) {
    const { M, c, rows } = maps[j];
    for (let i = 0; i < rows; i++) {
      const row = M.subarray(i * n, (i + 1) * n);
      if (j < k - 1) {
        // z ≥ 0 ⟺ −M x ≤ c;  z ≤ 0 ⟺ M x ≤ −c.
        if (pattern[j][i]) ineqRows.push({ row: row.map((v) => -v), rhs: c[i] });
        else ineqRows.push({ row, rhs: -c[i] });
      } else if (!relu || target[i] > 0) {
        eqRows.push({ row, rhs: target[i] - c[i] });
      } else {
        ineqRows.push({ row, rhs: -c[i] });
      }
    }
  }
  const pack = (rs: { row: Float64Array; rhs: number }[]) => {
    const A = new Float64Array(rs.length * n);
    rs.forEach((r, i) => A.set(r.row, i * n));
    return { A, rhs: Float64Array.from(rs, (r) => r.rhs) };
  };
  const eq = pack(eqRows);
  const ineq = pack(ineqRows);
  return { n, E: eq.A, e: eq.rhs, p: eqRows.length, G: ineq.A, g: ineq.rhs, q: ineqRows.length };
}
