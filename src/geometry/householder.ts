// An orthonormal basis of the hyperplane orthogonal to a unit vector, by one Householder reflection:
// H = I − 2vvᵀ/(vᵀv) with v = w − e_1 maps e_1 to w; its other columns span w⊥. O(n) per basis vector.

/** The basis of w⊥ for a unit vector w: k ↦ its k-th vector (1 ≤ k < n). The reflection is set up once per w. */
export function tangentBasis(w: Float64Array): (k: number) => Float64Array {
  const n = w.length;
  // Reflect e_1 onto s·w with s = −sign(w_0) to keep v well-conditioned.
  const s = w[0] >= 0 ? -1 : 1;
  const v = Float64Array.from(w, (x) => s * x);
  v[0] -= 1;
  let vv = 0;
  for (let i = 0; i < n; i++) vv += v[i] * v[i];
  return (k) => {
    const u = new Float64Array(n);
    u[k] = 1;
    if (vv === 0) return u;
    const c = (2 * v[k]) / vv;
    for (let i = 0; i < n; i++) u[i] -= c * v[i];
    return u;
  };
}
