// `relurev stability NET --out spectrum.svg|png`: singular-value spectra of the network's local
// linearization, layer by layer, at one or more points (seed 004 slides 13–19).
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { spectrumChartSpec } from '../invert/spectrum-chart.js';
import { spectraAt, summarizeSpectra, type LayerSpectrum, type SpectrumSummary } from '../invert/stability.js';
import { loadNetwork } from '../network/load.js';
import { makeRng, normalVector } from '../network/random.js';
import { archString } from '../network/types.js';
import { chartFormat, renderChart } from '../report/chart.js';
import { action, intOption, UsageError } from './run.js';

interface StabilityCliOptions {
  points: string;
  seed: string;
  inputs?: string;
  out: string;
  json?: boolean;
}

const HELP = `
Points: --points N inputs with independent N(0, 1) coordinates (seeded by --seed), or the inputs in
--inputs FILE: JSON, an array of input vectors or {"inputs": [[...], ...]}.
For each point and layer k it prints/draws the singular values of the Jacobian of layer k's output
(A_P = W_L D_{L-1} ... D_1 W_1 for the last layer), before and after the ReLU; the smallest non-zero
one bounds how much inverting that prefix amplifies errors, σ_max/σ_min≠0 is its condition number.`;

const inputsSchema = z.union([z.array(z.array(z.number())), z.object({ inputs: z.array(z.array(z.number())) })]);

function readInputs(path: string, n: number): Float64Array[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(err.code ? `cannot read inputs file ${path}: ${err.code}` : `${path}: not valid JSON (${err.message})`);
  }
  const parsed = inputsSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`${path}: expected an array of input vectors or {"inputs": [[numbers], ...]}`);
  const rows = Array.isArray(parsed.data) ? parsed.data : parsed.data.inputs;
  if (rows.length === 0) throw new UsageError(`${path}: no inputs`);
  rows.forEach((r, i) => {
    if (r.length !== n) throw new UsageError(`${path}: input ${i} has ${r.length} values, the network takes ${n}`);
  });
  return rows.map((r) => Float64Array.from(r));
}

function g(v: number): string {
  return Number.isNaN(v) ? '-' : v.toPrecision(3);
}

function table(summary: SpectrumSummary[], L: number): string {
  const head = ['layer', 'stage', 'rank (min/med/max)', 'σ_max (med)', 'σ_min≠0 (min / med)', 'condition (med / max)'];
  const rows = summary.map((s) => [
    String(s.layer),
    s.layer === L ? 'output' : s.stage === 'pre' ? 'before ReLU' : 'after ReLU',
    `${s.rank.min}/${s.rank.median}/${s.rank.max}`,
    g(s.sigmaMax.median),
    `${g(s.sigmaMinNonzero.min)} / ${g(s.sigmaMinNonzero.median)}`,
    `${g(s.condition.median)} / ${g(s.condition.max)}`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}

export function registerStability(program: Command): void {
  program
    .command('stability')
    .description('singular-value spectra of the local linearization by layer: how stably each layer prefix can be inverted (seed 004)')
    .argument('<net>', 'the network (model file)')
    .requiredOption('--out <file>', 'chart of the spectra: .svg or .png')
    .option('--points <n>', 'number of random input points', '1')
    .option('--seed <n>', 'seed of the random points', '1')
    .option('--inputs <file>', 'use these inputs instead of random points (JSON; see below)')
    .option('--json', 'print one JSON object (every spectrum and the summary) instead of the table')
    .addHelpText('after', HELP)
    .action(
      action(async (netPath: string, opts: StabilityCliOptions) => {
        const count = intOption('--points', 1)(opts.points);
        const seed = intOption('--seed', 0)(opts.seed);
        if (!chartFormat(opts.out)) throw new UsageError(`--out ${opts.out}: the chart must be a .svg or .png file`);
        if (!existsSync(dirname(opts.out) || '.')) throw new UsageError(`--out ${opts.out}: directory ${dirname(opts.out)} does not exist`);
        const net = await loadNetwork(netPath);
        const n = net.layers[0].inDim;
        const L = net.layers.length;
        let points: Float64Array[];
        let source: string;
        if (opts.inputs) {
          points = readInputs(opts.inputs, n);
          source = `the ${points.length} inputs of ${opts.inputs}`;
        } else {
          const rng = makeRng(seed);
          points = Array.from({ length: count }, () => normalVector(rng, n));
          source = `${count} random N(0, 1) input${count === 1 ? '' : 's'} (seed ${seed})`;
        }
        const perPoint: LayerSpectrum[][] = points.map((x) => spectraAt(net, x));
        const summary = summarizeSpectra(perPoint);
        const title = `Singular values of the linearization by layer: ${archString(net)}, ${points.length} point${points.length === 1 ? '' : 's'}`;
        try {
          await renderChart(spectrumChartSpec(perPoint, title), opts.out);
        } catch (e) {
          throw new UsageError(`cannot write ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        if (opts.json) {
          process.stdout.write(JSON.stringify({ network: archString(net), points: points.length, summary, spectra: perPoint, out: opts.out }) + '\n');
        } else {
          process.stdout.write(`stability of ${netPath} (${archString(net)}) at ${source}\n` + table(summary, L) + `wrote ${opts.out}\n`);
        }
      }),
    );
}
