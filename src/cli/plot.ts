// `relurev plot NET --out map.svg|map.png`: the exact linear-region map of a network with 2-D input (seed 001
// Figure 1): boundaries per layer over the shading of ∂N/∂x₁, optionally with a recovered network's boundaries.
import type { Command } from 'commander';
import { writeBoundaryMap } from '../report/boundary-map.js';
import { linearRegions, parseBox, type Box } from '../report/regions.js';
import { loadNetwork } from '../network/load.js';
import { inputDim, outputDim, type Network } from '../network/types.js';
import { action, intOption, UsageError } from './run.js';

interface PlotFlags {
  out: string;
  recovered?: string;
  box: string;
  size: string;
  shadeOutput: string;
  title?: string;
}

function regionsOf(net: Network, box: Box, what: string) {
  try {
    return linearRegions(net, box);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`${what}: ${e.message}`);
    throw e;
  }
}

export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description(
      'draw the linear-region map of a network with 2-D input (seed 001 Figure 1), computed exactly from its weights: ' +
        'each neuron\'s boundary (layer 1 blue, layer 2 red, ...) over regions shaded by ∂N/∂x₁',
    )
    .argument('<net>', 'the network (model file, input dimension 2)')
    .requiredOption('--out <file>', 'picture to write: .svg or .png')
    .option('--recovered <file>', 'a recovered network whose boundaries are drawn dashed over the true ones')
    .option('--box <x1min,x1max,x2min,x2max>', 'the input window', '-3,3,-3,3')
    .option('--size <px>', 'width of the picture in pixels', '800')
    .option('--shade-output <i>', 'index of the output whose gradient ∂N_i/∂x₁ shades the regions (0-based)', '0')
    .option('--title <text>', 'a title line above the map')
    .action(
      action(async (netPath: string, flags: PlotFlags) => {
        const ext = flags.out.toLowerCase().match(/\.(svg|png)$/);
        if (!ext) throw new UsageError(`--out ${flags.out}: use a .svg or .png file name`);
        const size = intOption('--size', 50)(flags.size);
        if (size > 8000) throw new UsageError(`--size must be at most 8000, got ${size}`);
        const output = intOption('--shade-output', 0)(flags.shadeOutput);
        let box: Box;
        try {
          box = parseBox(flags.box);
        } catch (e) {
          throw new UsageError(`--box: ${(e as Error).message}`);
        }
        const net = await loadNetwork(netPath);
        if (inputDim(net) !== 2) throw new UsageError(`plot needs a network with input dimension 2; ${netPath} has ${inputDim(net)}`);
        if (output >= outputDim(net)) throw new UsageError(`--shade-output ${output}: ${netPath} has ${outputDim(net)} output(s)`);
        let recovered: Network | undefined;
        if (flags.recovered) {
          recovered = await loadNetwork(flags.recovered);
          if (inputDim(recovered) !== 2) throw new UsageError(`--recovered ${flags.recovered} has input dimension ${inputDim(recovered)}, not 2`);
        }
        const map = regionsOf(net, box, netPath);
        const recMap = recovered ? regionsOf(recovered, box, flags.recovered!) : undefined;
        try {
          writeBoundaryMap(flags.out, map, { size, output, recovered: recMap, title: flags.title });
        } catch (e) {
          throw new UsageError(`cannot write --out ${flags.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const segs = map.segments.length;
        process.stdout.write(
          `wrote ${flags.out}: ${map.regions.length} linear regions, ${segs} boundary segments` +
            (recMap ? `; recovered: ${recMap.regions.length} regions, ${recMap.segments.length} segments` : '') +
            '\n',
        );
      }),
    );
}
