// The leave-one-out residuals of a null-vector fit (linalg/solve.ts nullVectorWithLeverage), which refine-deeper.ts
// uses to pick the point to drop: they must equal the residual of each row under the null vector fitted without it,
// and expose a wrong row that alone fixes a direction of the fit (its plain residual is ~0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Matrix } from 'ml-matrix';
import { nullVectorWithLeverage, smallestRightSingularVector } from '../src/linalg/solve.js';
import { makeRng } from '../src/network/random.js';

/** Rows a with a·v = noise for a hidden unit v (an exact null direction up to `noise`). */
function system(m: number, n: number, noise: number, seed: number): { A: Matrix; v: Float64Array } {
  const rng = makeRng(seed, 1);
  const v = Float64Array.from({ length: n }, () => rng.normal());
  const nv = Math.hypot(...v);
  v.forEach((x, i) => (v[i] = x / nv));
  const A = new Matrix(m, n);
  for (let i = 0; i < m; i++) {
    const a = Array.from({ length: n }, () => rng.normal());
    const d = a.reduce((s, x, j) => s + x * v[j], 0);
    const e = noise * rng.normal();
    for (let j = 0; j < n; j++) A.set(i, j, a[j] - (d - e) * v[j]);
  }
  return { A, v };
}

function residual(row: number[], v: ArrayLike<number>): number {
  return Math.abs(row.reduce((s, x, j) => s + x * v[j], 0));
}

test('leave-one-out residuals equal the residual under the fit without that row', () => {
  const { A } = system(24, 6, 1e-9, 3);
  const { loo } = nullVectorWithLeverage(A);
  for (let i = 0; i < A.rows; i++) {
    const rest = new Matrix(A.to2DArray().filter((_, p) => p !== i));
    const { v } = smallestRightSingularVector(rest);
    const direct = residual(A.getRow(i), v);
    assert.ok(Math.abs(loo[i] - direct) <= 1e-3 * direct + 1e-15, `row ${i}: ${loo[i]} vs ${direct}`);
  }
});

test('a wrong row that alone fixes a direction has a tiny residual but the largest leave-one-out residual', () => {
  const n = 6;
  const { A } = system(24, n, 1e-10, 5);
  // Column n is zero except in row 0, which is also moved 1e-4 off the null direction: the fit absorbs it entirely.
  const B = new Matrix(A.rows, n + 1);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < n; j++) B.set(i, j, A.get(i, j));
  B.set(0, n, 0.7);
  B.set(0, 0, B.get(0, 0) + 1e-4);
  const { v, loo } = nullVectorWithLeverage(B);
  const plain = Array.from({ length: B.rows }, (_, i) => residual(B.getRow(i), v));
  assert.ok(plain[0] < 1e-12, `plain residual of the wrong row ${plain[0]}`);
  const worst = loo.indexOf(Math.max(...loo));
  assert.equal(worst, 0);
});
