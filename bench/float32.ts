// Issue "Real black boxes": float32 black boxes. Untrained networks of one and two hidden layers, each behind two
// float32 black boxes — the float64 network with its inputs and answers rounded to float32, and the network written
// as a float32 ONNX model that onnxruntime computes in float32, as a real exported model does — extracted with
// precision 'float32'. Success: the right architecture, worst relative weight error ≤ 1e-3 and functional error
// ≤ 1e-2 (the precision float32 allows). `--only 10-8-8-1` runs both black boxes, `--only 10-8-8-1/onnx` one.
import { COLUMNS, markdownTable, PER_LAYER, runTargets, type BenchOptions, type BlackBox, type Column, type Run, type Target } from './common.js';

export const description = 'float32 black boxes (rounded, and ONNX float32 models), one and two hidden layers (issue "Real black boxes")';

// 24 seeds: one change moves every later query of a run, and with 8 the success counts swung by ±3 between equal code.
export const defaults = { seeds: 24 };

const both = (arch: string): Target[] => (['rounded', 'onnx'] as const).map((blackBox) => ({ arch, training: 'untrained', blackBox }));

const FULL: Target[] = ['10-8-1', '10-16-1', '10-8-8-1', '10-8-8-2', '16-12-12-1'].flatMap(both);

const QUICK: Target[] = ['10-8-1', '10-8-8-1'].flatMap(both);

const LABEL: Record<BlackBox, string> = { rounded: 'rounded float32', onnx: 'ONNX float32' };

const BLACK_BOX: Column = { head: 'black box', cell: (r) => LABEL[r[0].blackBox!] };

export async function run(opts: BenchOptions): Promise<{ runs: Run[]; table: string }> {
  const runs = await runTargets(opts.quick ? QUICK : FULL, opts);
  return { runs, table: markdownTable(runs, [...COLUMNS.slice(0, 2), BLACK_BOX, ...COLUMNS.slice(2), PER_LAYER]) };
}
