// Compare a recovered network with the truth, after alignment (DESIGN §5): per-layer weight errors
// and the functional error on random inputs.
import { maxAbs, median } from '../linalg/vec.js';
import { align, type LayerMatch, type NeuronPair } from './align.js';
import { forward } from './forward.js';
import { makeRng } from './random.js';
import { archString, type Network } from './types.js';

/**
 * One layer of a comparison; weights are those of the normalised networks (align.ts), matched
 * neurons only, in the layer's common column space (a missing or spurious neuron of the previous
 * layer contributes a column where one side's weight is 0).
 *
 * - logErrW = log10(‖Ŵ − W‖_F / ‖W‖_F) over the matched rows: the paper's log normalised error.
 *   logErrB the same for the bias vector. −Infinity when exact; if ‖W‖_F = 0 the absolute
 *   log10(‖Ŵ − W‖_F) is reported instead.
 * - relative error of an entry = |ŵ_ji − w_ji| / max(‖w_j‖∞, |b_j|): relative to the largest entry
 *   of the truth neuron's normalised row [w_j, b_j] (absolute if that row is all zeros).
 *   maxRelErr and medianRelErr are taken over every entry of every matched row, biases included.
 */
export interface LayerComparison {
  /** 1-based: layers 1..d are hidden, d + 1 is the output layer. */
  layer: number;
  output: boolean;
  trueWidth: number;
  recoveredWidth: number;
  matched: number;
  missing: number;
  spurious: number;
  logErrW: number;
  logErrB: number;
  maxRelErr: number;
  medianRelErr: number;
}

export interface Comparison {
  layers: LayerComparison[];
  /**
   * max_x ‖N̂(x) − N(x)‖∞ / max_x ‖N(x)‖∞ over `samples` inputs with i.i.d. N(0, 1) coordinates,
   * and separately over `samples` inputs with coordinates uniform in [0, 1) (MNIST-like scale);
   * the larger of the two ratios. Absolute when the truth's outputs are all zero.
   */
  functionalError: number;
  /** Same depth and the same width in every layer. */
  architectureMatches: boolean;
  /** Max over layers of maxRelErr; Infinity when the architectures differ (a neuron missing or spurious, or another depth). */
  worstRelErr: number;
  recoveredArch: string;
  trueArch: string;
  /** The alignment the errors were measured on (align.ts). */
  matches: LayerMatch[];
}

/** err / ref, or err when the reference is zero (nothing to be relative to). */
function relative(err: number, ref: number): number {
  return ref > 0 ? err / ref : err;
}

/** What an entry's error is relative to: the largest entry of the truth neuron's normalised row [w, b]. */
function rowScale(p: NeuronPair): number {
  return Math.max(maxAbs(p.wTrue), Math.abs(p.bTrue));
}

function compareLayer(m: LayerMatch): LayerComparison {
  let errW = 0;
  let refW = 0;
  let errB = 0;
  let refB = 0;
  const rel: number[] = [];
  for (const p of m.pairs) {
    const scale = rowScale(p);
    for (let i = 0; i < m.columns; i++) {
      const d = p.w[i] - p.wTrue[i];
      errW += d * d;
      refW += p.wTrue[i] ** 2;
      rel.push(relative(Math.abs(d), scale));
    }
    errB += (p.b - p.bTrue) ** 2;
    refB += p.bTrue ** 2;
    rel.push(relative(Math.abs(p.b - p.bTrue), scale));
  }
  return {
    layer: m.index + 1,
    output: m.output,
    trueWidth: m.trueWidth,
    recoveredWidth: m.recoveredWidth,
    matched: m.pairs.length,
    missing: m.missing.length,
    spurious: m.spurious.length,
    logErrW: Math.log10(relative(Math.sqrt(errW), Math.sqrt(refW))),
    logErrB: Math.log10(relative(Math.sqrt(errB), Math.sqrt(refB))),
    maxRelErr: rel.reduce((a, v) => Math.max(a, v), 0),
    medianRelErr: median(rel),
  };
}

/** max ‖N̂(x) − N(x)‖∞ / max ‖N(x)‖∞ over the n inputs xs. */
function functionalRatio(recovered: Network, truth: Network, xs: Float64Array, n: number): number {
  const yr = forward(recovered, xs, n);
  const yt = forward(truth, xs, n);
  let err = 0;
  let ref = 0;
  for (let i = 0; i < yt.length; i++) {
    err = Math.max(err, Math.abs(yr[i] - yt[i]));
    ref = Math.max(ref, Math.abs(yt[i]));
  }
  return relative(err, ref);
}

export function compareNetworks(recovered: Network, truth: Network, opts: { samples?: number; seed?: number } = {}): Comparison {
  const samples = opts.samples ?? 2000;
  const matches = align(recovered, truth);
  const layers = matches.map(compareLayer);
  const architectureMatches =
    recovered.layers.length === truth.layers.length && recovered.layers.every((l, k) => l.outDim === truth.layers[k].outDim);

  const rng = makeRng(opts.seed ?? 1);
  const n = recovered.layers[0].inDim * samples;
  const gaussian = new Float64Array(n).map(() => rng.normal());
  const uniform = new Float64Array(n).map(() => rng.uniform());
  const functionalError = Math.max(
    functionalRatio(recovered, truth, gaussian, samples),
    functionalRatio(recovered, truth, uniform, samples),
  );

  return {
    layers,
    functionalError,
    architectureMatches,
    worstRelErr: architectureMatches ? layers.reduce((a, l) => Math.max(a, l.maxRelErr), 0) : Infinity,
    recoveredArch: archString(recovered),
    trueArch: archString(truth),
    matches,
  };
}

/**
 * Seed 001 §5's criterion, for runs that list what they could not identify: the architecture right, the function
 * within tol, and every neuron not in `listed` (1-based layer, recovered index) within tol in every entry, except its
 * weights from listed neurons of the layer before and, if there are any, its bias (which takes up theirs: an always-on
 * neuron's bias merges into the next layer's). Every exact comparison meets it; so does an exact function whose only
 * wrong weights are the ones the run says it could not identify.
 */
export function exactWhereNotListed(c: Comparison, listed: { layer: number; neuron?: number }[], tol: number): boolean {
  if (!c.architectureMatches || !(c.functionalError <= tol)) return false;
  let excused = new Set<number>(); // truth indices of the layer before that are listed
  for (const m of c.matches) {
    const listedHere = new Set<number>();
    for (const p of m.pairs) {
      const scale = rowScale(p);
      let err = excused.size > 0 ? 0 : Math.abs(p.b - p.bTrue);
      p.w.forEach((v, i) => {
        if (!excused.has(i)) err = Math.max(err, Math.abs(v - p.wTrue[i]));
      });
      const isListed = !m.output && listed.some((u) => u.layer === m.index + 1 && u.neuron === p.recovered);
      if (isListed) listedHere.add(p.truth);
      else if (!(relative(err, scale) <= tol)) return false;
    }
    excused = listedHere;
  }
  return true;
}

/**
 * What no query within a box can reveal about the truth (invert/identifiability.ts certifies it): 1-based hidden
 * layers, the truth's neuron indices.
 */
export interface Obstacles {
  /** Every hidden neuron's state over the box. */
  neurons: NeuronCertificate[];
  /** Weights between two neurons never active together (neither dead). */
  neverJointly: NeverJointly[];
}

/** A hidden neuron over the box: never on, never off, both, or not decided (a MIP ran out of time). */
export type NeuronState = 'dead' | 'always-on' | 'switches' | 'undecided';

export interface NeuronCertificate {
  /** 1-based hidden layer. */
  layer: number;
  neuron: number;
  state: NeuronState;
}

/** W[layer][neuron, from] only has to keep `neuron` off where `from` (layer − 1) is active. */
export interface NeverJointly {
  layer: number;
  neuron: number;
  from: number;
}

/**
 * Exact wherever the truth is identifiable (seed 001 §5, judged from the truth, not from what the run lists): the
 * function within tol; no spurious neuron and none missing but dead ones; every other entry within tol except
 * - weights from dead neurons, and W_zi where i is never active while z is on (only an inequality holds them);
 * - biases of always-on neurons and of the layer after one (they merge); whole rows (and their outgoing weights) of
 *   always-on neurons when a layer has two or more (only the sum of their affine maps is seen).
 * Rows are compared on their identifiable weights after a least-squares scale (the alignment normalised them over
 * every weight, excused ones included), and that scale carries to their outgoing weights.
 */
export function exactWhereIdentifiable(c: Comparison, truth: Obstacles, tol: number): boolean {
  if (!(c.functionalError <= tol) || !c.matches.some((m) => m.output)) return false;
  const stateOf = (layer: number, neuron: number) => truth.neurons.find((x) => x.layer === layer && x.neuron === neuron)?.state;
  let excused = new Set<number>(); // truth indices of the layer before whose outgoing weights are not identifiable
  let colScale = new Map<number, number>(); // and the scale their recovered outgoing weights are off by
  let alwaysOnBefore = false;
  for (const m of c.matches) {
    const layer = m.index + 1;
    if (!m.output && (m.spurious.length > 0 || m.missing.some((t) => stateOf(layer, t) !== 'dead'))) return false;
    const alwaysOn = m.output ? [] : m.pairs.filter((p) => stateOf(layer, p.truth) === 'always-on').map((p) => p.truth);
    const nextExcused = new Set<number>(alwaysOn.length >= 2 ? alwaysOn : []);
    const nextScale = new Map<number, number>();
    for (const p of m.pairs) {
      if (nextExcused.has(p.truth)) continue;
      const cols = Array.from({ length: m.columns }, (_, i) => i).filter(
        (i) => !excused.has(i) && !truth.neverJointly.some((x) => x.layer === layer && x.neuron === p.truth && x.from === i),
      );
      const w = cols.map((i) => p.w[i] * (colScale.get(i) ?? 1));
      const wt = cols.map((i) => p.wTrue[i]);
      const withBias = !alwaysOnBefore && stateOf(layer, p.truth) !== 'always-on';
      if (withBias) {
        w.push(p.b);
        wt.push(p.bTrue);
      }
      // Output rows are not normalised: their scale comes from the columns alone.
      const partial = !m.output && cols.length < m.columns;
      const ww = w.reduce((a, v) => a + v * v, 0);
      const alpha = partial && ww > 0 ? w.reduce((a, v, j) => a + v * wt[j], 0) / ww : 1;
      const scale = maxAbs(Float64Array.from(wt));
      if (!(alpha > 0) || !w.every((v, j) => relative(Math.abs(alpha * v - wt[j]), scale) <= tol)) return false;
      // The recovered outgoing weights carry the inverse of the row's scale (align.ts normalise).
      if (alpha !== 1) nextScale.set(p.truth, 1 / alpha);
    }
    excused = new Set([...nextExcused, ...(m.output ? [] : m.missing)]);
    colScale = nextScale;
    alwaysOnBefore = alwaysOn.length > 0;
  }
  return true;
}

/** Whether a comparison passes a tolerance on both the weights and the function, and why not. */
export function comparisonVerdict(c: Comparison, tol: number): { pass: boolean; reason: string } {
  if (!c.architectureMatches) return { pass: false, reason: `architecture differs: recovered ${c.recoveredArch}, truth ${c.trueArch}` };
  // Written as !(x <= tol) so that a NaN fails.
  if (!(c.worstRelErr <= tol)) return { pass: false, reason: `worst relative weight error ${fmtExp(c.worstRelErr)} > tol ${tol.toExponential()}` };
  if (!(c.functionalError <= tol)) return { pass: false, reason: `functional error ${fmtExp(c.functionalError)} > tol ${tol.toExponential()}` };
  return { pass: true, reason: `worst relative weight error ${fmtExp(c.worstRelErr)} and functional error ${fmtExp(c.functionalError)} <= tol ${tol.toExponential()}` };
}

function fmtExp(v: number): string {
  return Number.isFinite(v) ? v.toExponential(2) : String(v);
}

function fmtLog(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : String(v);
}

/** A fixed-width table, one row per layer, then the architecture, functional and worst errors. */
export function formatComparison(c: Comparison): string {
  const head = ['layer', 'true', 'found', 'matched', 'missing', 'spurious', 'log err W', 'log err b', 'max rel err', 'median rel err'];
  const rows = c.layers.map((l) => [
    l.output ? 'out' : String(l.layer),
    String(l.trueWidth),
    String(l.recoveredWidth),
    String(l.matched),
    String(l.missing),
    String(l.spurious),
    fmtLog(l.logErrW),
    fmtLog(l.logErrB),
    fmtExp(l.maxRelErr),
    fmtExp(l.medianRelErr),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
  return [
    line(head),
    ...rows.map(line),
    `architecture: recovered ${c.recoveredArch}, truth ${c.trueArch} (${c.architectureMatches ? 'same' : 'DIFFERENT'})`,
    `functional error: ${fmtExp(c.functionalError)}  (max |N̂(x) − N(x)|∞ / max |N(x)|∞, Gaussian and uniform [0,1] inputs)`,
    `worst relative weight error: ${fmtExp(c.worstRelErr)}`,
  ].join('\n') + '\n';
}
