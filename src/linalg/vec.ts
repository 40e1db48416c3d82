// Small dense vector helpers on Float64Array (the hot loops of the geometry code).

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** a + t b (new array). */
export function axpy(a: ArrayLike<number>, t: number, b: ArrayLike<number>): Float64Array {
  const r = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = a[i] + t * b[i];
  return r;
}

export function sub(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return axpy(a, -1, b);
}

export function scale(a: ArrayLike<number>, t: number): Float64Array {
  const r = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = t * a[i];
  return r;
}

export function normalize(a: ArrayLike<number>): Float64Array {
  return scale(a, 1 / norm(a));
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Remove from v its components along the orthonormal rows of basis (Gram–Schmidt step). */
export function orthogonalize(v: Float64Array, basis: Float64Array[]): Float64Array {
  const r = Float64Array.from(v);
  for (const u of basis) {
    const c = dot(r, u);
    for (let i = 0; i < r.length; i++) r[i] -= c * u[i];
  }
  return r;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}
