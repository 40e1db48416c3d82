// Issue 3: networks with 2 to 4 hidden layers. Untrained (seed 001 §6 init): depth 2, 3, 4, widths 8–32, inputs
// 10–64. Trained (memorisation task): depth 2 and 3, widths up to 20.
import { BY_TRUTH, COLUMNS, LISTED, markdownTable, PER_LAYER, runTargets, type BenchOptions, type Run, type Target } from './common.js';

export const description = 'two to four hidden layers, untrained and trained (issue 3)';

const FULL: Target[] = [
  { arch: '10-8-8-2', training: 'untrained' },
  { arch: '32-16-16-4', training: 'untrained' },
  { arch: '64-32-32-10', training: 'untrained' },
  { arch: '10-8-8-8-2', training: 'untrained' },
  { arch: '32-16-16-16-4', training: 'untrained' },
  { arch: '10-8-8-8-8-2', training: 'untrained' },
  { arch: '32-16-16-16-16-4', training: 'untrained' },
  { arch: '10-12-10-2', training: 'memorise' },
  { arch: '16-20-20-2', training: 'memorise' },
  { arch: '10-12-12-12-2', training: 'memorise' },
  { arch: '16-20-16-12-2', training: 'memorise' },
];

const QUICK: Target[] = [
  { arch: '10-8-8-2', training: 'untrained' },
  { arch: '10-8-8-8-2', training: 'untrained' },
  { arch: '10-12-10-2', training: 'memorise' },
];

export async function run(opts: BenchOptions): Promise<{ runs: Run[]; table: string }> {
  const targets = (opts.quick ? QUICK : FULL).map((t) => ({ ...t, certify: true }));
  const runs = await runTargets(targets, opts);
  return { runs, table: markdownTable(runs, [...COLUMNS, LISTED, ...BY_TRUTH, PER_LAYER]) };
}
