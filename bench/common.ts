// Shared machinery of the extraction benchmarks: targets (untrained, trained on the memorisation task, trained on
// MNIST downsampled to 8×8 or on the full 784-pixel digits; the network itself as the black box, or a float32 one),
// one extraction run through the library (CountingOracle over the black box, no subprocess) with its queries and
// time per phase, the per-network summary over seeds, and the markdown tables.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { extractNetwork } from '../src/extract/driver.js';
import type { ProgressEvent } from '../src/extract/events.js';
import { compareNetworks, comparisonVerdict, exactWhereIdentifiable, exactWhereNotListed, type Comparison } from '../src/network/compare.js';
import { memorisationTask, mnistDigits, MNIST_PIXELS, type Dataset } from '../src/network/datasets.js';
import { networkFromJson, networkToJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { writeOnnxNetwork } from '../src/network/onnx.js';
import { streamSeed } from '../src/network/random.js';
import { trainClassifier } from '../src/network/train.js';
import { hiddenWidths, parameterCount, parseArch, type Network } from '../src/network/types.js';
import { CountingOracle } from '../src/oracle/counting.js';
import { Float32Oracle } from '../src/oracle/float32.js';
import { LocalOracle } from '../src/oracle/local.js';
import { OnnxOracle } from '../src/oracle/onnx.js';
import type { Oracle } from '../src/oracle/types.js';
import { obstacleCount, type Identifiability } from '../src/invert/identifiability.js';
import { certifyTarget, describeObstacles, readObstacles } from './identifiable.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');
/** The success tolerance of issues 2 and 3 (float64 black boxes). */
export const TOL = 1e-6;

export type Training = 'untrained' | 'memorise' | 'mnist8x8' | 'mnist';

/**
 * A float32 black box over the target network: float64 inside with its inputs and answers rounded to float32
 * ('rounded'), or the network written as a float32 ONNX model that onnxruntime computes in float32 ('onnx').
 */
export type BlackBox = 'rounded' | 'onnx';

export interface Target {
  arch: string;
  training: Training;
  /** Absent: the network itself (float64) is the black box. */
  blackBox?: BlackBox;
  /** Certify what no query can reveal about each seed's network (identifiable.ts) and judge runs by it. */
  certify?: boolean;
}

/** "arch/training", or "arch/black box" for a float32 black box: how --only, the logs and the tables tell targets apart. */
export const targetName = (t: Target): string => `${t.arch}/${t.blackBox ?? t.training}`;

export interface BenchOptions {
  seeds: number;
  quick: boolean;
  /** First seed (seeds are first, first + 1, ...). */
  firstSeed: number;
  /** A run taking longer is stopped and counted as a failure. */
  timeoutSeconds: number;
  /** Heap limit of one run (its worker thread); a run that needs more is counted as a failure. */
  maxMemoryMb: number;
  /** After this many runs of one network in a row exceed the limits, its remaining seeds are skipped (failures). */
  giveUp: number;
  /** Where a benchmark writes its figures (default bench/results). */
  outDir?: string;
  /** Run only the targets named here: "arch" (any training or black box) or targetName's "arch/training", "arch/black box". */
  only?: string[];
}

export const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

// ---------------------------------------------------------------------------------------------------------------
// Targets

/** Memorisation (seed 001 §6): 1000 random N(0,1) inputs with random labels in {0, 1}; Adam lr 1e-3, ≤ 500 epochs. */
const MEMORISE = { samples: 1000, epochs: 500, lr: 1e-3 };
/** MNIST 8×8: all 10,000 digits of the mnist package, 20 epochs of Adam at lr 1e-3. */
const MNIST8 = { epochs: 20, lr: 1e-3 };
/**
 * MNIST at full size (784 pixels): all 10,000 digits, 5 epochs of Adam at lr 1e-3 — the defaults of
 * `relurev make --trained --data mnist`, with the same initial weights and shuffling seeds, so that
 * `relurev make --arch A --seed S --trained --data mnist` writes exactly this target for seed S.
 */
const MNIST = { epochs: 5, lr: 1e-3 };

/**
 * MNIST downsampled from 28×28 to 8×8 = 64 pixels by area averaging: output pixel (r, c) is the mean of the
 * 3.5 × 3.5 input square [3.5r, 3.5r + 3.5) × [3.5c, 3.5c + 3.5), each input pixel weighted by the area it
 * shares with that square (whole pixels weigh 1, the split pixels on the edges 1/2 or 1/4). Values stay in [0, 1].
 */
export function downsampleMnist8x8(data: Dataset): Dataset {
  const side = 28;
  const out = 8;
  const f = side / out; // 3.5
  // overlap[o][i]: length of [f·o, f·o + f) ∩ [i, i + 1).
  const overlap = Array.from({ length: out }, (_, o) =>
    Array.from({ length: side }, (_, i) => Math.max(0, Math.min(f * o + f, i + 1) - Math.max(f * o, i))),
  );
  const xs = new Float64Array(data.n * out * out);
  for (let s = 0; s < data.n; s++) {
    const img = data.xs.subarray(s * MNIST_PIXELS, (s + 1) * MNIST_PIXELS);
    for (let r = 0; r < out; r++) {
      for (let c = 0; c < out; c++) {
        let acc = 0;
        for (let i = Math.floor(f * r); i < Math.min(side, Math.ceil(f * r + f)); i++) {
          const wr = overlap[r][i];
          if (wr === 0) continue;
          for (let j = Math.floor(f * c); j < Math.min(side, Math.ceil(f * c + f)); j++) acc += wr * overlap[c][j] * img[i * side + j];
        }
        xs[s * out * out + r * out + c] = acc / (f * f);
      }
    }
  }
  return { xs, labels: data.labels, n: data.n };
}

let mnist8: Dataset | undefined;
let mnist784: Dataset | undefined;

export interface BuiltTarget {
  net: Network;
  /** Training accuracy (trained targets). */
  accuracy?: number;
  epochs?: number;
}

/** Where a target's certificates of identifiability are cached (identifiable.ts). */
const obstaclesCache = (t: Target, seed: number) => join(RESULTS_DIR, 'nets', `${t.arch}-${t.training}-seed${seed}-identifiability.json`);

/** Build (or read from the cache under bench/results/nets) the target network for one seed. */
export function buildTarget(t: Target, seed: number): BuiltTarget {
  const dims = parseArch(t.arch);
  const cache = join(RESULTS_DIR, 'nets', `${t.arch}-${t.training}-seed${seed}.json`);
  if (t.training !== 'untrained' && existsSync(cache)) {
    const data = JSON.parse(readFileSync(cache, 'utf8')) as { meta?: { accuracy?: number; epochs?: number } };
    return { net: networkFromJson(data, cache), accuracy: data.meta?.accuracy, epochs: data.meta?.epochs };
  }
  const net = randomNetwork(dims, seed);
  if (t.training === 'untrained') return { net };
  let data: Dataset;
  let cfg: { epochs: number; lr: number };
  if (t.training === 'memorise') {
    data = memorisationTask(dims[0], MEMORISE.samples, streamSeed(seed, 1));
    cfg = MEMORISE;
  } else if (t.training === 'mnist8x8') {
    if (dims[0] !== 64 || dims[dims.length - 1] !== 10) throw new Error(`mnist8x8 needs 64 inputs and 10 outputs, got ${t.arch}`);
    mnist8 ??= downsampleMnist8x8(mnistDigits());
    data = mnist8;
    cfg = MNIST8;
  } else {
    if (dims[0] !== MNIST_PIXELS || dims[dims.length - 1] !== 10) throw new Error(`mnist needs ${MNIST_PIXELS} inputs and 10 outputs, got ${t.arch}`);
    mnist784 ??= mnistDigits();
    data = mnist784;
    cfg = MNIST;
  }
  const started = Date.now();
  const r = trainClassifier(net, data.xs, data.labels, data.n, {
    epochs: cfg.epochs,
    lr: cfg.lr,
    seed: streamSeed(seed, 2),
    targetAccuracy: t.training === 'memorise' ? 1 : undefined,
  });
  log(`  trained ${t.arch} on ${t.training} (seed ${seed}): ${r.epochs} epochs, accuracy ${(100 * r.accuracy).toFixed(1)}%, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, JSON.stringify(networkToJson(net, { meta: { arch: t.arch, seed, training: t.training, accuracy: r.accuracy, epochs: r.epochs } })));
  return { net, accuracy: r.accuracy, epochs: r.epochs };
}

// ---------------------------------------------------------------------------------------------------------------
// One run

export interface LayerErr {
  layer: string;
  maxRelErr: number;
  medianRelErr: number;
}

/** Where one run's queries and time went: one entry per phase of the extraction, in the order they first ran. */
export interface PhaseProfile {
  /** The driver's phase name ('layer 1', 'layer 2', 'output layer', 'verify', 'retry'; 'other' before the first). */
  phase: string;
  queries: number;
  /** Wall-clock seconds from the phase's progress events to the next phase's (summed over its stretches). */
  seconds: number;
  /** Of those, seconds spent inside the black box (the forward passes of the local network). */
  blackBoxSeconds: number;
}

export interface Run {
  arch: string;
  training: Training;
  blackBox?: BlackBox;
  seed: number;
  parameters: number;
  trueWidths: number[];
  widths: number[];
  queries: number;
  seconds: number;
  complete: boolean;
  error?: string;
  unresolved: number;
  architectureMatches: boolean;
  worstRelErr: number;
  /** Largest per-layer median relative error. */
  medianRelErr: number;
  functionalError: number;
  layers: LayerErr[];
  success: boolean;
  /**
   * Exact except what the run lists as not identifiable (seed 001 §5; compare.ts exactWhereNotListed): issue 3's
   * criterion for trained networks. Float64 black boxes only.
   */
  exactOrListed?: boolean;
  /** Certified targets: the truth has no dead or always-on neuron and no weight between neurons never active together. */
  identifiable?: boolean;
  /**
   * Certified targets: exact wherever the truth is identifiable (compare.ts exactWhereIdentifiable), and incomplete
   * by its own account if not exact everywhere.
   */
  exactWhereIdentifiable?: boolean;
  /** Certified targets: what no query can reveal about the truth, for the log. */
  obstacles?: string;
  accuracy?: number;
  /** The extraction's own check against fresh queries. */
  verificationError?: number;
  /** Queries and time per phase (absent for a run that did not return). */
  profile?: PhaseProfile[];
}

/** One line per run on stderr. */
export function logRun(run: Run): void {
  const why = run.error ? `: ${run.error}` : run.unresolved ? ` (${run.unresolved} unresolved)` : '';
  log(
    `  ${targetName(run)} seed ${run.seed}: widths [${run.widths}] (true [${run.trueWidths}]), ${run.queries} queries, ` +
      `${run.seconds.toFixed(1)} s, worst rel err ${fmt(run.worstRelErr)}, functional ${fmt(run.functionalError)}` +
      `${run.success ? '' : ` — FAIL${why}${run.exactOrListed ? '; exact except the weights it lists as not identifiable' : ''}`}`,
  );
  if (run.obstacles) log(`    truth not identifiable: ${run.obstacles}; ${run.exactWhereIdentifiable ? 'exact' : 'not exact'} wherever it is`);
  if (run.profile?.length) {
    log(`    phases: ${run.profile.map((p) => `${p.phase} ${p.queries} q ${p.seconds.toFixed(1)} s (black box ${p.blackBoxSeconds.toFixed(1)} s)`).join(' · ')}`);
  }
}

/** A black box that times its answers, per phase of the CountingOracle that wraps it. */
class TimedOracle implements Oracle {
  readonly inputDim: number;
  readonly outputDim: number;
  /** The counting oracle around this one: its current phase names where the time goes. */
  counter?: CountingOracle;
  readonly seconds = new Map<string, number>();
  constructor(private readonly inner: Oracle) {
    this.inputDim = inner.inputDim;
    this.outputDim = inner.outputDim;
  }
  async query(xs: Float64Array, n: number): Promise<Float64Array> {
    const phase = this.counter?.phase ?? 'other';
    const t0 = performance.now();
    try {
      return await this.inner.query(xs, n);
    } finally {
      this.seconds.set(phase, (this.seconds.get(phase) ?? 0) + (performance.now() - t0) / 1000);
    }
  }
}

/**
 * Wall-clock time per phase from the extraction's progress events: the time from one event to the next goes to
 * the phase of the first (every phase change is announced by an event; 'other' is the time before the first).
 */
class PhaseClock {
  readonly seconds = new Map<string, number>();
  private current = 'other';
  private mark = performance.now();
  readonly onProgress = (e: ProgressEvent): void => {
    this.lap();
    this.current = e.phase;
  };
  lap(): void {
    const now = performance.now();
    this.seconds.set(this.current, (this.seconds.get(this.current) ?? 0) + (now - this.mark) / 1000);
    this.mark = now;
  }
}

function phaseProfile(queries: Record<string, number>, clock: PhaseClock, blackBox: TimedOracle): PhaseProfile[] {
  const names = [...new Set([...clock.seconds.keys(), ...Object.keys(queries), ...blackBox.seconds.keys()])];
  return names
    .map((phase) => ({ phase, queries: queries[phase] ?? 0, seconds: clock.seconds.get(phase) ?? 0, blackBoxSeconds: blackBox.seconds.get(phase) ?? 0 }))
    .filter((p) => p.queries > 0 || p.seconds >= 0.05);
}

/** The target's black box over its network (see BlackBox). */
async function openBlackBox(t: Target, truth: Network): Promise<Oracle> {
  if (t.blackBox === undefined) return new LocalOracle(truth);
  if (t.blackBox === 'rounded') return new Float32Oracle(new LocalOracle(truth));
  const dir = mkdtempSync(join(tmpdir(), 'relurev-bench-'));
  try {
    const file = join(dir, `${t.arch}.onnx`);
    writeOnnxNetwork(file, truth, { dtype: 'float32', ops: 'matmul' });
    return await OnnxOracle.open(file);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // onnxruntime has read the model
  }
}

/**
 * Whether a comparison is a success: within TOL, weights and function, for a float64 black box; for a float32 one
 * (issue "Real black boxes"), worst relative weight error ≤ 1e-3 and functional error ≤ 1e-2.
 */
const succeeds = (c: Comparison, t: Target): boolean =>
  t.blackBox ? comparisonVerdict(c, 1e-2).pass && c.worstRelErr <= 1e-3 : comparisonVerdict(c, TOL).pass;

export async function runOne(t: Target, seed: number, opts: { log?: boolean } = {}): Promise<Run> {
  const built = buildTarget(t, seed);
  const truth = built.net;
  const blackBox = await openBlackBox(t, truth);
  const timed = new TimedOracle(blackBox);
  const oracle = new CountingOracle(timed);
  timed.counter = oracle;
  const clock = new PhaseClock();
  const precision = t.blackBox ? 'float32' : 'float64';
  const r = await extractNetwork(oracle, { seed, precision, onProgress: clock.onProgress }).finally(() => blackBox.close?.());
  clock.lap();
  const usable = r.network !== null && r.network.layers.length === r.widths.length + 1;
  const c = usable ? compareNetworks(r.network!, truth) : null;
  const success = c !== null && succeeds(c, t);
  const run: Run = {
    arch: t.arch,
    training: t.training,
    blackBox: t.blackBox,
    seed,
    parameters: parameterCount(truth),
    trueWidths: hiddenWidths(truth),
    widths: r.widths,
    queries: r.queries,
    seconds: r.seconds,
    complete: r.complete,
    error: r.error,
    unresolved: r.unresolved.length,
    architectureMatches: c?.architectureMatches ?? false,
    worstRelErr: c?.worstRelErr ?? Infinity,
    medianRelErr: c ? Math.max(...c.layers.map((l) => l.medianRelErr)) : Infinity,
    functionalError: c?.functionalError ?? Infinity,
    layers: c ? c.layers.map((l) => ({ layer: l.output ? 'out' : `L${l.layer}`, maxRelErr: l.maxRelErr, medianRelErr: l.medianRelErr })) : [],
    success,
    exactOrListed: c !== null && !t.blackBox && exactWhereNotListed(c, r.unresolved, TOL),
    ...judgedByTruth(t.certify ? readObstacles(obstaclesCache(t, seed)) : undefined, c, { success, complete: r.complete }),
    accuracy: built.accuracy,
    verificationError: r.verificationError,
    profile: phaseProfile(r.phases, clock, timed),
  };
  if (opts.log ?? true) logRun(run);
  return run;
}

/**
 * A run judged by what its truth allows, given the truth's certificates (none: the target is not certified): exact
 * wherever the truth is identifiable, and not claiming to be complete where it is not exact.
 */
function judgedByTruth(
  obstacles: Identifiability | undefined,
  c: Comparison | null,
  claims: { success: boolean; complete: boolean },
): Pick<Run, 'identifiable' | 'exactWhereIdentifiable' | 'obstacles'> {
  if (!obstacles) return {};
  const identifiable = obstacleCount(obstacles) === 0 && obstacles.undecided === 0;
  return {
    identifiable,
    // Off anywhere (necessarily where the truth is not identifiable) and claiming complete would be a made-up weight.
    exactWhereIdentifiable: c !== null && exactWhereIdentifiable(c, obstacles, TOL) && (claims.success || !claims.complete),
    ...(identifiable ? {} : { obstacles: describeObstacles(obstacles) }),
  };
}

/** A run that did not return: its worker ran out of memory, failed, or timed out. */
function failedRun(t: Target, seed: number, error: string, seconds: number): Run {
  const dims = parseArch(t.arch);
  return {
    arch: t.arch,
    training: t.training,
    blackBox: t.blackBox,
    seed,
    parameters: dims.slice(1).reduce((s, d, k) => s + d * (dims[k] + 1), 0),
    trueWidths: dims.slice(1, -1),
    widths: [],
    queries: NaN,
    seconds,
    complete: false,
    error,
    unresolved: 0,
    architectureMatches: false,
    worstRelErr: Infinity,
    medianRelErr: Infinity,
    functionalError: Infinity,
    layers: [],
    success: false,
  };
}

/**
 * The worker's entry: tsx's loader is not inherited by worker threads, so the worker registers it before importing
 * bench/worker.ts.
 */
const WORKER_BOOT = new URL(
  'data:text/javascript,' +
    encodeURIComponent(
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); ` +
        `await import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)});`,
    ),
);

/**
 * runOne in a worker thread with a heap limit and a time limit. A trained target is trained (and cached) here first,
 * and a certified one's certificates made (and cached), so that neither is charged to the run's time limit; the
 * worker then reads them from the cache.
 */
export async function runIsolated(t: Target, seed: number, opts: BenchOptions): Promise<Run> {
  let net: Network;
  try {
    net = buildTarget(t, seed).net;
  } catch (e) {
    log(`  ${targetName(t)} seed ${seed}: FAIL — cannot build the target: ${(e as Error).message}`);
    return failedRun(t, seed, `cannot build the target: ${(e as Error).message}`, NaN);
  }
  const obstacles = t.certify ? await certifyTarget(obstaclesCache(t, seed), net) : undefined;
  const withTruth = (run: Run): Run => ({ ...run, ...judgedByTruth(obstacles, null, run) });
  const started = Date.now();
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_BOOT, {
      workerData: { target: t, seed },
      resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb },
    });
    let settled = false;
    const finish = (run: Run) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(run);
    };
    const fail = (why: string) => {
      if (settled) return;
      const run = withTruth(failedRun(t, seed, why, (Date.now() - started) / 1000));
      log(`  ${targetName(t)} seed ${seed}: FAIL — ${why}`);
      finish(run);
    };
    const timer = setTimeout(() => fail(`timed out after ${opts.timeoutSeconds} s`), opts.timeoutSeconds * 1000);
    worker.once('message', (run: Run) => {
      // Logged here: the worker's own stderr may not be flushed before it is terminated.
      logRun(run);
      finish(run);
    });
    worker.once('error', (e: Error & { code?: string }) =>
      fail(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `out of memory (heap limit ${opts.maxMemoryMb} MB)` : `crashed: ${e.message}`),
    );
    worker.once('exit', (code) => fail(`worker exited with code ${code} without a result`));
  });
}

const exhausted = (r: Run) => r.error !== undefined && (r.error.startsWith('timed out') || r.error.startsWith('out of memory'));

/**
 * Every target over opts.seeds seeds. After opts.giveUp runs of one target in a row exhaust their time or memory,
 * its remaining seeds are not run; they are recorded as failures ("skipped").
 */
export async function runTargets(targets: Target[], opts: BenchOptions): Promise<Run[]> {
  const runs: Run[] = [];
  const only = opts.only;
  if (only) {
    const chosen = targets.filter((t) => only.includes(t.arch) || only.includes(targetName(t)));
    const unknown = only.filter((n) => !targets.some((t) => n === t.arch || n === targetName(t)));
    if (unknown.length) {
      log(`bench: --only: not a network of this benchmark: ${unknown.join(', ')} (it has ${targets.map(targetName).join(', ')})`);
      process.exit(2);
    }
    targets = chosen;
  }
  for (const t of targets) {
    log(`${targetName(t)}, ${opts.seeds} seed${opts.seeds === 1 ? '' : 's'}`);
    let streak = 0;
    for (let s = 0; s < opts.seeds; s++) {
      const seed = opts.firstSeed + s;
      if (streak >= opts.giveUp) {
        runs.push(failedRun(t, seed, `skipped: ${streak} runs in a row exceeded the time or memory limit`, NaN));
        continue;
      }
      const run = await runIsolated(t, seed, opts);
      streak = exhausted(run) ? streak + 1 : 0;
      runs.push(run);
    }
    if (streak >= opts.giveUp && opts.seeds > streak) log(`  ${targetName(t)}: remaining seeds skipped after ${streak} runs in a row exceeded the limits`);
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : String(v);
  if (v === 0) return '0';
  return v.toExponential(1);
}

/** Median of the finite values (NaN when there are none). */
export function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function maxOf(v: number[]): number {
  return v.length ? Math.max(...v) : NaN;
}

export interface Column {
  head: string;
  cell: (runs: Run[]) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

export const TRAINING_LABEL: Record<Training, string> = {
  untrained: 'untrained',
  memorise: 'trained (memorise)',
  mnist8x8: 'trained (MNIST 8×8)',
  mnist: 'trained (MNIST)',
};

/** Widths found over the seeds, grouped: "[20] ×9, [19] ×1". */
function widthsFound(runs: Run[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const e = r.error ?? '';
    const key = r.widths.join('-') || (e.startsWith('timed out') ? 'timeout' : e.startsWith('out of memory') ? 'out of memory' : e.startsWith('skipped') ? 'skipped' : 'none');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([w, k]) => `${w} ×${k}`)
    .join(', ');
}

/** A dash for a number unknown (NaN: no run returned one, or none found the right architecture). */
const orDash = (v: number, f: (v: number) => string): string => (Number.isNaN(v) ? '–' : f(v));

/** Runs whose recovered architecture is the true one (their errors are finite and comparable). */
const aligned = (runs: Run[]) => runs.filter((r) => r.architectureMatches);

export const COLUMNS: Column[] = [
  { head: 'network', cell: (r) => r[0].arch },
  { head: 'target', cell: (r) => TRAINING_LABEL[r[0].training] + (r[0].accuracy !== undefined ? `, acc ${(100 * median(r.map((x) => x.accuracy ?? NaN))).toFixed(0)}%` : '') },
  { head: 'params', cell: (r) => String(r[0].parameters), right: true },
  { head: 'true widths', cell: (r) => r[0].trueWidths.join('-') },
  { head: 'widths found', cell: widthsFound },
  { head: 'queries (median)', cell: (r) => orDash(Math.round(median(r.map((x) => x.queries))), String), right: true },
  { head: 'queries/param', cell: (r) => orDash(median(r.map((x) => x.queries)) / r[0].parameters, (v) => v.toFixed(1)), right: true },
  { head: 'seconds (median)', cell: (r) => median(r.map((x) => x.seconds)).toFixed(2), right: true },
  { head: 'worst rel err (max)', cell: (r) => orDash(maxOf(aligned(r).map((x) => x.worstRelErr)), fmt), right: true },
  { head: 'median rel err (median)', cell: (r) => orDash(median(aligned(r).map((x) => x.medianRelErr)), fmt), right: true },
  { head: 'functional err (max)', cell: (r) => orDash(maxOf(aligned(r).map((x) => x.functionalError)), fmt), right: true },
  { head: 'success', cell: (r) => `${r.filter((x) => x.success).length}/${r.length}`, right: true },
];

/** Runs exact except for what they list as not identifiable (issue 3's criterion for trained networks). */
export const LISTED: Column = {
  head: 'exact or listed (§5)',
  cell: (r) => `${r.filter((x) => x.exactOrListed).length}/${r.length}`,
  right: true,
};

/** Certified targets: seeds whose truth is identifiable, and runs exact wherever their truth is (identifiable.ts). */
export const BY_TRUTH: Column[] = [
  { head: 'identifiable truths (MIP)', cell: (r) => `${r.filter((x) => x.identifiable).length}/${r.length}`, right: true },
  { head: 'exact where identifiable', cell: (r) => `${r.filter((x) => x.exactWhereIdentifiable).length}/${r.length}`, right: true },
];

/** Per layer, the worst relative error over the seeds that found the right architecture: "L1 2e-14 · out 5e-15". */
export const PER_LAYER: Column = {
  head: 'worst rel err per layer (max)',
  cell: (runs) => {
    const ok = aligned(runs);
    if (ok.length === 0) return '–';
    return ok[0].layers.map((l, i) => `${l.layer} ${fmt(maxOf(ok.map((r) => r.layers[i]?.maxRelErr ?? NaN)))}`).join(' · ');
  },
};

/** Group runs by network (in first-seen order). */
export function groupRuns(runs: Run[]): Run[][] {
  const groups = new Map<string, Run[]>();
  for (const r of runs) {
    const key = targetName(r);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return [...groups.values()];
}

export function markdownTable(runs: Run[], columns: Column[]): string {
  const rows = groupRuns(runs).map((g) => columns.map((c) => c.cell(g)));
  const head = columns.map((c) => c.head);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((s, i) => (columns[i].right ? s.padStart(w[i]) : s.padEnd(w[i]))).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (columns[i].right ? `${'-'.repeat(n + 1)}:` : `${'-'.repeat(n + 2)}`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n') + '\n';
}

/** Write every run to bench/results/<name>-<timestamp>.json; returns the path. */
export function writeRaw(name: string, opts: BenchOptions, runs: Run[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${name}-${stamp}.json`);
  const replacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  writeFileSync(path, JSON.stringify({ bench: name, date: new Date().toISOString(), options: opts, node: process.version, runs }, replacer, 1) + '\n');
  return path;
}
