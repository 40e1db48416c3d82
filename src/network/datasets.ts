// Training data for test targets: the memorisation task of seed 001 §6, and MNIST digits from the `mnist` package.
import { createRequire } from 'node:module';
import { makeRng } from './random.js';

export interface Dataset {
  /** n inputs, row-major. */
  xs: Float64Array;
  labels: Int32Array;
  n: number;
}

/** n inputs with i.i.d. N(0, 1) coordinates and independent uniform labels in {0, 1}. */
export function memorisationTask(inputDim: number, n: number, seed: number): Dataset {
  const rng = makeRng(seed);
  const xs = new Float64Array(n * inputDim);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.normal();
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) labels[s] = rng.int(2);
  return { xs, labels, n };
}

/** The part of the `mnist` package used here: per digit, all its images concatenated (784 pixels each, in [0, 1]). */
interface MnistDigit {
  raw: number[];
  length: number;
}

export const MNIST_PIXELS = 784;

/**
 * The first `count` (default: all 10,000) digits of the `mnist` package, in a fixed order that
 * interleaves the classes (one image of each digit 0..9 in turn), so every prefix is near-balanced.
 * Pixel values are kept as the package gives them.
 */
export function mnistDigits(count?: number): Dataset {
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  const total = digits.reduce((s, d) => s + d.length, 0);
  const n = count ?? total;
  if (!Number.isInteger(n) || n < 1 || n > total) throw new RangeError(`mnist has ${total} digits; cannot take ${count}`);
  const xs = new Float64Array(n * MNIST_PIXELS);
  const labels = new Int32Array(n);
  let s = 0;
  for (let i = 0; s < n; i++) {
    for (let d = 0; d < 10 && s < n; d++) {
      if (i >= digits[d].length) continue;
      const start = i * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) xs[s * MNIST_PIXELS + p] = digits[d].raw[start + p];
      labels[s] = d;
      s++;
    }
  }
  return { xs, labels, n };
}
