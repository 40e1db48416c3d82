// `relurev bench fig3|fig4`: the paper's experiments (seed 001 Figures 3 and 4). The experiments live in bench/;
// this file parses the flags and hands over. Table on stdout, progress on stderr, files in --out.
import type { Command } from 'commander';
import { runFig3 } from '../../bench/fig3.js';
import { runFig4 } from '../../bench/fig4.js';
import { action, intOption, UsageError } from './run.js';

interface BenchFlags {
  quick?: boolean;
  seeds?: string;
  out: string;
  widths?: string;
  timeLimit?: string;
}

const FIGURES = { fig3: runFig3, fig4: runFig4 } as const;

function parseWidths(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const v = parts.map(Number);
  if (parts.some((p) => p === '') || v.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new UsageError(`--widths must be positive integers separated by commas, e.g. 10,20,40; got "${text}"`);
  }
  return v;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      "run one of the paper's experiments and write its table (stdout), raw runs (JSON, CSV) and figure (SVG, PNG):\n" +
        '  fig3  first-layer algorithm, 10-n₁-10-out, n₁ = 10..100: queries per parameter, log error of W¹ and b¹\n' +
        '  fig4  additional layers, 10-10-n₂-out, n₂ = 10..50: layer-2 neurons found, log error of W² and b²',
    )
    .argument('<name>', 'fig3 or fig4')
    .option('--quick', 'reduced widths and seeds (under two minutes)')
    .option('--seeds <n>', 'runs per width and target kind (default: fig3 10, fig4 4; --quick 2)')
    .option('--widths <list>', 'override the widths varied, e.g. 10,50,100')
    .option('--time-limit <s>', 'fig4: seconds per extraction before it is stopped and counted incomplete (default 300; --quick 15)')
    .option('--out <dir>', 'directory for NAME.json, NAME.csv, NAME.svg, NAME.png', 'out/bench')
    .action(
      action(async (name: string, flags: BenchFlags) => {
        if (!(name in FIGURES)) throw new UsageError(`unknown bench "${name}": choose one of ${Object.keys(FIGURES).join(', ')}`);
        const seeds = flags.seeds === undefined ? undefined : intOption('--seeds', 1)(flags.seeds);
        const widths = flags.widths === undefined ? undefined : parseWidths(flags.widths);
        const timeLimit = flags.timeLimit === undefined ? undefined : intOption('--time-limit', 1)(flags.timeLimit);
        await FIGURES[name as keyof typeof FIGURES]({ quick: flags.quick, seeds, widths, outDir: flags.out, timeLimit });
      }),
    );
}
