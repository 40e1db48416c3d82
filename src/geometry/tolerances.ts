// Every numerical threshold of the extraction, scaled to the black box's precision (DESIGN §9: "precision is the
// black box's"). float64 arithmetic inside a network of moderate size rounds at ~1e-15 relative; float32 at ~1e-7.

export type Precision = 'float64' | 'float32';

export class Tolerances {
  constructor(
    readonly precision: Precision,
    /** Relative rounding of an output value. */
    readonly rel: number,
    /** Absolute floor (outputs near zero). */
    readonly abs: number,
  ) {}

  /**
   * float32: 5e-6 of the output, ~40 ulps (an ONNX model computing in float32 rounds its sums too). It was 2e-5: then
   * a weak neuron's kink (jump 5e-3 of the strongest) verified 0.75 of a segment away from where it is, and its
   * first-layer row failed every re-test (10-16-1 seed 4 lost that neuron).
   */
  static for(precision: Precision): Tolerances {
    return precision === 'float64' ? new Tolerances('float64', 1e-11, 1e-12) : new Tolerances('float32', 5e-6, 5e-7);
  }

  /** Largest difference between two output values of magnitude `scale` that is still rounding. */
  value(scale: number): number {
    return this.rel * scale + this.abs;
  }

  /** Intervals narrower than this are not split further (kinks closer than this merge). */
  minWidth(l: number, r: number): number {
    const s = 1 + Math.abs(l) + Math.abs(r);
    return (this.precision === 'float64' ? 1e-10 : 1e-4) * s;
  }

  /** Relative agreement expected between two estimates of the same direction (cosine distance). */
  get direction(): number {
    return this.precision === 'float64' ? 1e-6 : 1e-3;
  }

  /** Largest relative disagreement with the black box on fresh queries for a recovery to count as complete. */
  get functional(): number {
    return this.precision === 'float64' ? 1e-6 : 1e-2;
  }

  /**
   * A point is on a known boundary when its distance to it is below this times (1 + |x|). Deeper layers are known
   * to ~1e-8 (measured normals), not to the ~1e-14 of refined first-layer rows.
   */
  get onKnown(): number {
    return this.precision === 'float64' ? 1e-6 : 1e-2;
  }

  /**
   * A kink found by a kink search is a known boundary's when it is within this times (1 + |x|) of it: how well the
   * known layers place their boundaries, with a margin (float64: deeper rows to ~1e-9 at worst). Looser takes B_z's
   * continuation just past a crossing for the crossed boundary itself, which it meets there at a narrow angle:
   * onKnown's float32 value, 1e-2, lost 250 of ~900 walk steps on 16-12-12-1 float32 seed 4, and float64's 1e-6 the
   * one crossing of 10-8-8-8-8-2 seed 1's rare layer-4 neuron into layer-3 neuron 3 (at |x| = 165, B_z's kink 5.8e-5
   * from the crossed boundary): that weight was listed "never active together" though the truth shows it.
   */
  get kinkOnKnown(): number {
    return this.precision === 'float64' ? 1e-7 : 1e-3;
  }

  /**
   * Largest side offset (per input scale) for measuring a Jacobian jump: small keeps both sides clean single
   * regions; large keeps the finite differences above the black box's rounding (float32 needs it).
   */
  get sideCap(): number {
    return this.precision === 'float64' ? 1e-2 : 0.2;
  }

  /**
   * How far past a crossed boundary a boundary walk steps (fraction of the distance to the next boundary): short
   * keeps B_z's continuation close; float32 needs room on both sides of it for a clean Jacobian jump.
   */
  get walkStep(): number {
    return this.precision === 'float64' ? 0.02 : 0.25;
  }
}
