// `npm run bench -- <name> [--seeds N] [--quick] [--first-seed S]`: run one extraction benchmark through the library
// (no subprocesses), print its markdown table on stdout (per-run lines on stderr) and write every run to
// bench/results/<name>-<date>.json (not committed: the tables go into BENCHMARKS.md). A benchmark may set its own
// defaults for the seeds and limits (scale: one seed, 25 minutes and 4 GB per run) and write figures (--out DIR).
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchOptions, Run } from './common.js';
import { writeRaw } from './common.js';

/** Defaults a benchmark may set instead of the general ones (seeds 10, --quick 3; 600 s; 2048 MB). */
interface BenchDefaults {
  seeds?: number;
  quickSeeds?: number;
  timeoutSeconds?: number;
  quickTimeoutSeconds?: number;
  maxMemoryMb?: number;
}

interface Bench {
  description: string;
  defaults?: BenchDefaults;
  run(opts: BenchOptions): Promise<{ runs: Run[]; table: string }>;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  onelayer: () => import('./onelayer.js'),
  deep: () => import('./deep.js'),
  scale: () => import('./scale.js'),
  float32: () => import('./float32.js'),
};

/** The paper's figures (bench/fig3.ts, bench/fig4.ts; also `relurev bench fig3|fig4`): they print and write their own files. */
const FIGURES: Record<string, { description: string; run: (o: { quick?: boolean; seeds?: number; outDir?: string }) => Promise<unknown> }> = {
  fig3: { description: "seed 001 Figure 3, the first-layer algorithm (see bench/fig3.ts)", run: async (o) => (await import('./fig3.js')).runFig3(o) },
  fig4: { description: "seed 001 Figure 4, additional layers (see bench/fig4.ts)", run: async (o) => (await import('./fig4.js')).runFig4(o) },
};

function usage(): string {
  return (
    'usage: npm run bench -- <name> [--seeds N] [--quick] [--first-seed S] [--timeout S] [--max-memory MB] [--give-up K] [--out DIR]\n' +
    '  --seeds N       seeds per network (default 10, --quick: 3; scale: 1; float32: 8)\n' +
    '  --quick         the smallest networks only\n' +
    '  --first-seed S  seeds are S, S+1, ... (default 1)\n' +
    '  --timeout S     a run taking longer than S seconds is stopped and counted as a failure (default 600; scale: 1500, --quick 120)\n' +
    '  --max-memory MB heap limit of one run; a run needing more is counted as a failure (default 2048; scale: 4096)\n' +
    '  --give-up K     after K runs of a network in a row exceed those limits, skip its other seeds (default 3)\n' +
    '  --only A,B      only these networks of the benchmark (architectures, e.g. 784-128-10; or 784-128-10/mnist, 10-8-1/onnx)\n' +
    '  --out DIR       scale: write its chart (scale.svg, scale.png) into DIR instead of bench/results; fig3, fig4: their files\n' +
    'benchmarks:\n'
  );
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'first-seed': { type: 'string', default: '1' },
    timeout: { type: 'string' },
    'max-memory': { type: 'string' },
    'give-up': { type: 'string', default: '3' },
    out: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

async function listing(): Promise<string> {
  const lines = await Promise.all(Object.entries(BENCHES).map(async ([n, load]) => `  ${n.padEnd(10)} ${(await load()).description}`));
  for (const [n, f] of Object.entries(FIGURES)) lines.push(`  ${n.padEnd(10)} ${f.description}`);
  return lines.join('\n') + '\n';
}

const name = positionals[0];
const known = name in BENCHES || name in FIGURES;
if (values.help || !name || !known) {
  if (name && !known) process.stderr.write(`bench: unknown benchmark "${name}"\n`);
  process.stderr.write(usage() + (await listing()));
  process.exit(values.help ? 0 : 2);
}
const defaults: BenchDefaults = name in BENCHES ? ((await BENCHES[name]()).defaults ?? {}) : {};
const seeds = Number(values.seeds ?? (values.quick ? (defaults.quickSeeds ?? 3) : (defaults.seeds ?? 10)));
const firstSeed = Number(values['first-seed']);
const timeoutSeconds = Number(values.timeout ?? (values.quick ? defaults.quickTimeoutSeconds : undefined) ?? defaults.timeoutSeconds ?? 600);
const maxMemoryMb = Number(values['max-memory'] ?? defaults.maxMemoryMb ?? 2048);
const giveUp = Number(values['give-up']);
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(firstSeed) || firstSeed < 0 || !(timeoutSeconds > 0) || !(maxMemoryMb >= 64) || !(giveUp >= 1)) {
  process.stderr.write('bench: --seeds must be an integer >= 1, --first-seed an integer >= 0, --timeout > 0, --max-memory >= 64, --give-up >= 1\n');
  process.exit(2);
}
if (name in FIGURES) {
  await FIGURES[name].run({ quick: values.quick, seeds: values.seeds === undefined ? undefined : seeds, outDir: values.out });
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
const opts: BenchOptions = { seeds, quick: values.quick, firstSeed, timeoutSeconds, maxMemoryMb, giveUp, outDir: values.out, only };
const bench = await BENCHES[name]();
const started = Date.now();
const { runs, table } = await bench.run(opts);
const raw = writeRaw(name, opts, runs);
const minutes = ((Date.now() - started) / 60000).toFixed(1);
process.stdout.write(
  `\n### ${name}: ${bench.description}\n\n` +
    `${new Date().toISOString().slice(0, 10)}, \`npm run bench -- ${process.argv.slice(2).join(' ')}\`, ${seeds} seed${seeds === 1 ? '' : 's'} per network ` +
    `(seeds ${firstSeed}..${firstSeed + seeds - 1}), ${minutes} min in all, limits ${timeoutSeconds} s and ${maxMemoryMb} MB per run, ` +
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}.\n\n${table}`,
);
process.stderr.write(`raw runs: ${raw}\n`);
