// Probe a black box before extracting it: a fixed 17 queries per probe point, 816 in all.
// - Precision: float32 if its outputs all lie on the float32 grid, or if its inputs are quantised (a
//   relative input change of 1e-12 leaves the answer bit-identical); coarser still (noisy) if repeated
//   queries differ.
// - Piecewise linearity, from second differences D(h) = f(x+hu) − 2f(x) + f(x−hu) along random lines.
//   Smooth (tanh, sigmoid): D ≈ f''h², so over the ladder h = 0.64 ... 0.02 D shrinks 4× per halving
//   (a kink at distance δ gives D ∝ (h − δ) instead, whose ratios stay below 3 once three steps exceed δ).
//   Piecewise linear: at the tiny step 1e-4, D is zero to rounding except within 1e-4 of a kink, which is
//   rare even for wide expansive networks (at the ladder's steps, kinks can be everywhere).
import { makeRng, normalVector, unitVector } from '../network/random.js';
import { OracleError, type Oracle } from './types.js';

export interface ProbeResult {
  /** 'float32' for a float32 black box, or any black box coarser than float64 (see noiseFloor). */
  precision: 'float64' | 'float32';
  /** Smallest output change the black box resolves, relative to its output scale: the unit roundoff of its precision, or the measured noise if larger. */
  noiseFloor: number;
  piecewiseLinear: boolean;
  /** Why the black box is not piecewise linear. */
  reason?: string;
  /** Queries the probe asked. */
  queries: number;
}

/** Thrown by the driver for a black box that is not a ReLU network; one-line message, exit code 1. */
export class NotPiecewiseLinearError extends OracleError {
  constructor(reason: string) {
    super(`not a ReLU network: ${reason}`);
    this.name = 'NotPiecewiseLinearError';
  }
}

const POINTS = 48;
/** Second-difference steps for the smoothness test, halving. */
const STEPS = [0.64, 0.32, 0.16, 0.08, 0.04, 0.02];
/** Step for the "linear to rounding" test. */
const TINY = 1e-4;
/** Relative input change that float64 resolves (~1e4 ulps) and float32 does not (~1e-5 of an ulp). */
const NUDGE = 1e-12;
/** Safety factor on rounding in the "D is zero" test: loose, because a wrong "not zero" would refuse a ReLU network. */
const ROUNDING_FACTOR = 32;
const U64 = 2 ** -53;
const U32 = 2 ** -24;
/** Rows per probe point: x, the nudge, ±TINY, ±each step. */
const PER = 4 + 2 * STEPS.length;

export async function probeBlackBox(oracle: Oracle, seed: number): Promise<ProbeResult> {
  const rng = makeRng((seed ^ 0x70726f62) | 0);
  const d = oracle.inputDim;
  // Rows PER·p + [0: x, 1: x + NUDGE·‖x‖·u, 2/3: x ± TINY·u, 4+2k/5+2k: x ± STEPS[k]·u]; then a repeat of each x.
  const xs = new Float64Array((PER + 1) * POINTS * d);
  const norms: number[] = [];
  for (let p = 0; p < POINTS; p++) {
    const x = normalVector(rng, d);
    const u = unitVector(rng, d);
    const nx = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    norms.push(nx);
    const put = (row: number, t: number) => {
      for (let i = 0; i < d; i++) xs[row * d + i] = x[i] + t * u[i];
    };
    put(PER * p, 0);
    put(PER * p + 1, NUDGE * nx);
    [TINY, ...STEPS].forEach((h, k) => {
      put(PER * p + 2 + 2 * k, h);
      put(PER * p + 3 + 2 * k, -h);
    });
    put(PER * POINTS + p, 0);
  }
  const main = PER * POINTS;
  const ys = await oracle.query(xs.subarray(0, main * d), main);
  const repeats = await oracle.query(xs.subarray(main * d), POINTS); // a separate call: noise per call shows too
  const m = oracle.outputDim;
  const y = (row: number, o: number) => ys[row * m + o];

  let scale = 0;
  for (const v of ys) scale = Math.max(scale, Math.abs(v));
  let noise = 0;
  for (let p = 0; p < POINTS; p++) {
    for (let o = 0; o < m; o++) noise = Math.max(noise, Math.abs(repeats[p * m + o] - y(PER * p, o)));
  }
  const onFloat32Grid = ys.every((v) => Math.fround(v) === v) && repeats.every((v) => Math.fround(v) === v);

  // Input quantisation: among points where f visibly changes along u, how often does the nudge change nothing?
  let moving = 0;
  let frozen = 0;
  for (let p = 0; p < POINTS; p++) {
    let slope = 0;
    let changed = false;
    for (let o = 0; o < m; o++) {
      slope = Math.max(slope, Math.abs(y(PER * p + 2, o) - y(PER * p + 3, o)) / (2 * TINY));
      if (y(PER * p + 1, o) !== y(PER * p, o)) changed = true;
    }
    // The nudge moves f by about slope·NUDGE·‖x‖; only count points where float64 would see that clearly.
    if (slope * NUDGE * norms[p] > 1e3 * U64 * scale) {
      moving++;
      if (!changed) frozen++;
    }
  }
  const inputsQuantised = moving >= 4 && frozen >= 0.5 * moving;
  const relNoise = scale > 0 ? noise / scale : 0;
  const precision = onFloat32Grid || inputsQuantised || relNoise > 1e-12 ? 'float32' : 'float64';
  const unit = precision === 'float32' ? U32 : U64;
  const noiseFloor = Math.max(unit, relNoise);

  let quiet = 0;
  let quadratic = 0;
  for (let p = 0; p < POINTS; p++) {
    const base = PER * p;
    /** Second difference at step k (0: TINY, 1 + j: STEPS[j]) for output o, and its rounding size ν. */
    const D = (k: number, o: number) => y(base + 2 + 2 * k, o) - 2 * y(base, o) + y(base + 3 + 2 * k, o);
    const nu = (k: number, o: number) =>
      unit * (Math.abs(y(base + 2 + 2 * k, o)) + 2 * Math.abs(y(base, o)) + Math.abs(y(base + 3 + 2 * k, o))) + noise;
    let isQuiet = true;
    let isQuadratic = false;
    for (let o = 0; o < m; o++) {
      // Rounding of the inputs moves f by about unit·slope·‖x‖; a float32 model's own arithmetic adds more.
      const slopeTerm = unit * (Math.abs(y(base + 2, o) - y(base + 3, o)) / (2 * TINY)) * norms[p];
      if (Math.abs(D(0, o)) > ROUNDING_FACTOR * (nu(0, o) + unit * scale + slopeTerm)) isQuiet = false;
      // The three smallest ladder steps whose D stands clear of rounding must shrink ≈4× per halving.
      let k = STEPS.length;
      while (k >= 1 && Math.abs(D(k, o)) <= 4 * nu(k, o)) k--;
      if (k >= 3 && Math.abs(D(k - 2, o)) > 4 * nu(k - 2, o) && Math.abs(D(k - 1, o)) > 4 * nu(k - 1, o)) {
        const r1 = D(k - 2, o) / D(k - 1, o);
        const r2 = D(k - 1, o) / D(k, o);
        if (r1 > 2.8 && r1 < 5.7 && r2 > 2.8 && r2 < 5.7) isQuadratic = true;
      }
    }
    if (isQuiet) quiet++;
    if (isQuadratic) quadratic++;
  }
  const queries = (PER + 1) * POINTS;
  const result = { precision, noiseFloor, queries } as const;
  if (quadratic >= 0.5 * POINTS) {
    return {
      ...result,
      piecewiseLinear: false,
      reason: `it is smooth: second differences along random lines scale like h² at ${quadratic} of ${POINTS} points (a tanh or sigmoid network?)`,
    };
  }
  if (quiet >= 0.5 * POINTS) return { ...result, piecewiseLinear: true };
  return {
    ...result,
    piecewiseLinear: false,
    reason: `it is not piecewise linear: second differences along random lines at step ${TINY} are non-zero at ${POINTS - quiet} of ${POINTS} points, not only near isolated kinks`,
  };
}
