// Issue 2: one-hidden-layer networks, untrained (seed 001 §6 init) and trained (memorisation task; MNIST downsampled
// to 8×8 for 64-48-10), from 10-20-2 up to 100-100-10.
import { COLUMNS, markdownTable, runTargets, type BenchOptions, type Run, type Target } from './common.js';

export const description = 'one hidden layer, untrained and trained, 10-20-2 ... 100-100-10 (issue 2)';

const FULL: Target[] = [
  { arch: '10-20-2', training: 'untrained' },
  { arch: '20-40-2', training: 'untrained' },
  { arch: '50-50-5', training: 'untrained' },
  { arch: '64-48-10', training: 'untrained' },
  { arch: '100-100-10', training: 'untrained' },
  { arch: '10-20-2', training: 'memorise' },
  { arch: '20-40-2', training: 'memorise' },
  { arch: '50-50-5', training: 'memorise' },
  { arch: '100-100-10', training: 'memorise' },
  { arch: '64-48-10', training: 'mnist8x8' },
];

const QUICK: Target[] = [
  { arch: '10-20-2', training: 'untrained' },
  { arch: '10-20-2', training: 'memorise' },
  { arch: '64-48-10', training: 'mnist8x8' },
];

export async function run(opts: BenchOptions): Promise<{ runs: Run[]; table: string }> {
  const runs = await runTargets(opts.quick ? QUICK : FULL, opts);
  return { runs, table: markdownTable(runs, COLUMNS) };
}
