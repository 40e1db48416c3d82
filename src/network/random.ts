// Seeded randomness: every run is reproducible from its seed (xoroshiro128+ from pure-rand).
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/**
 * A well-mixed 32-bit seed for stream `stream` of `seed` (murmur3 finaliser). xoroshiro128+ seeded with a small
 * integer directly gives first draws near 1; mixing first makes every seed, and every derived stream, independent.
 */
export function streamSeed(seed: number, stream = 0): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export function makeRng(seed: number, stream = 0): Rng {
  const gen = xoroshiro128plus(streamSeed(seed, stream));
  let spare: number | null = null;
  const uniform = () => uniformFloat64(gen);
  return {
    uniform,
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // Box–Muller: two independent normals from two uniforms.
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(n: number) {
      return Math.floor(uniform() * n);
    },
  };
}

/** A vector of n standard normals. */
export function normalVector(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

/** A uniformly random unit vector in R^n. */
export function unitVector(rng: Rng, n: number): Float64Array {
  const v = normalVector(rng, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i] * v[i];
  s = Math.sqrt(s);
  for (let i = 0; i < n; i++) v[i] /= s;
  return v;
}
