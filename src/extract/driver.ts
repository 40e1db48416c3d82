// The extraction driver: discovers the architecture and runs the phases in order (DESIGN §4):
// first layer → deeper layers (each also fixing the signs of the layer before) → last-layer signs and output layer
// → verification against fresh queries. Never fails silently: what it could not recover is listed in `unresolved`.
import { Tolerances, type Precision } from '../geometry/tolerances.js';
import { forward } from '../network/forward.js';
import { makeRng } from '../network/random.js';
import type { Layer, Network } from '../network/types.js';
import type { CountingOracle } from '../oracle/counting.js';
import { OracleError } from '../oracle/types.js';
import { report, type ExtractContext } from './context.js';
import type { ProgressSink } from './events.js';
import { randomLines } from './boundary-points.js';
import { findFirstLayer } from './first-layer-search.js';
import type { Row } from './first-layer.js';
import { fitOutputLayer } from './output-layer.js';

export interface ExtractOptions {
  seed: number;
  onProgress?: ProgressSink;
  precision?: Precision;
  /** Typical magnitude of one input coordinate (default 1). */
  inputScale?: number;
}

export interface Unresolved {
  layer: number;
  neuron?: number;
  reason: string;
}

export interface ExtractResult {
  network: Network | null;
  complete: boolean;
  partial: boolean;
  widths: number[];
  queries: number;
  seconds: number;
  unresolved: Unresolved[];
  /** Recovered, but worth knowing (e.g. lower precision for some neurons). */
  notes: string[];
  /** Queries per phase. */
  phases: Record<string, number>;
  /** max |N̂(x) − N(x)| / max |N(x)| on fresh random queries. */
  verificationError?: number;
  error?: string;
}

function rowsToLayer(rows: Row[], inDim: number): Layer {
  const W = new Float64Array(rows.length * inDim);
  rows.forEach((r, j) => W.set(r.w, j * inDim));
  return { inDim, outDim: rows.length, W, b: Float64Array.from(rows.map((r) => r.b)) };
}

/** Sample points where the boundaries were searched: uniformly along random search lines (boundary-points.ts). */
function randomPoints(ctx: ExtractContext, m: number): Float64Array {
  const n = ctx.oracle.inputDim;
  const xs = new Float64Array(m * n);
  randomLines(ctx, m).forEach((ln, s) => {
    const t = ln.t0 + (ln.t1 - ln.t0) * ctx.rng.uniform();
    for (let i = 0; i < n; i++) xs[s * n + i] = ln.origin[i] + t * ln.dir[i];
  });
  return xs;
}

/** Relative functional error of `net` against the black box on m fresh random inputs. */
async function verify(ctx: ExtractContext, net: Network, m: number): Promise<number> {
  const xs = randomPoints(ctx, m);
  const ys = await ctx.oracle.query(xs, m);
  const yh = forward(net, xs, m);
  let err = 0;
  let mag = 0;
  for (let i = 0; i < ys.length; i++) {
    err = Math.max(err, Math.abs(ys[i] - yh[i]));
    mag = Math.max(mag, Math.abs(ys[i]));
  }
  return err / (mag || 1);
}

export async function extractNetwork(oracle: CountingOracle, opts: ExtractOptions): Promise<ExtractResult> {
  const start = performance.now();
  const ctx: ExtractContext = {
    oracle,
    rng: makeRng(opts.seed, 17),
    tol: Tolerances.for(opts.precision ?? 'float64'),
    scale: opts.inputScale ?? 1,
    progress: opts.onProgress ?? (() => {}),
  };
  const n = oracle.inputDim;
  const unresolved: Unresolved[] = [];
  const notes: string[] = [];
  const hidden: Layer[] = [];
  const finish = (network: Network | null, complete: boolean, extra: Partial<ExtractResult> = {}): ExtractResult => ({
    network,
    complete,
    partial: !complete,
    widths: hidden.map((l) => l.outDim),
    queries: oracle.queries,
    seconds: (performance.now() - start) / 1000,
    unresolved,
    notes,
    phases: Object.fromEntries(oracle.byPhase),
    ...extra,
  });
  try {
    const first = await findFirstLayer(ctx);
    if (first.rows.length === 0) {
      unresolved.push({ layer: 1, reason: 'no boundary point found: the black box looks linear on the sampled lines' });
      return finish(null, false);
    }
    hidden.push(rowsToLayer(first.rows, n));
    if (first.imprecise > 0) {
      notes.push(`layer 1: ${first.imprecise} neuron(s) kept a direction that could not be refined (precision ~1e-10 instead of ~1e-14)`);
    }

    report(ctx, 'output layer', `fitting the output layer on ${hidden[0].outDim} hidden neurons`);
    const m = 2 * (hidden[0].outDim + n + 1) + 32;
    const xs = randomPoints(ctx, m);
    const ys = await oracle.query(xs, m);
    const fit = fitOutputLayer(first.rows, xs, ys, m, n, oracle.outputDim);
    const last = hidden[hidden.length - 1];
    fit.flips.forEach((f, j) => {
      if (!f) return;
      for (let i = 0; i < last.inDim; i++) last.W[j * last.inDim + i] *= -1;
      last.b[j] *= -1;
    });
    if (fit.signAmbiguity > 0.01) {
      unresolved.push({ layer: hidden.length, reason: `signs of the last hidden layer are ambiguous (least-squares distance ${fit.signAmbiguity.toExponential(2)} from 0/1)` });
    }
    const net: Network = {
      activation: 'relu',
      layers: [...hidden, { inDim: last.outDim, outDim: oracle.outputDim, W: fit.V, b: fit.c }],
    };
    report(ctx, 'verify', 'checking the recovered network against fresh queries');
    const verificationError = await verify(ctx, net, 256);
    const complete = unresolved.length === 0 && verificationError < 1e3 * ctx.tol.rel;
    if (!complete && unresolved.length === 0) {
      unresolved.push({ layer: hidden.length + 1, reason: `recovered network disagrees with the black box on fresh queries (relative error ${verificationError.toExponential(2)})` });
    }
    return finish(net, complete, { verificationError });
  } catch (e) {
    if (e instanceof OracleError) {
      const partial: Network | null = hidden.length ? { activation: 'relu', layers: [...hidden] } : null;
      return finish(partial, false, { error: e.message });
    }
    throw e;
  }
}
