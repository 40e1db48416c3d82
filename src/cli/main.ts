#!/usr/bin/env node
// relurev command line: each command lives in its own file and registers itself here.
import { Command, CommanderError } from 'commander';
// command registrations (one line each)
import { registerPlot } from './plot.js';
import { registerBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerExtract } from './extract.js';
import { registerInvert } from './invert.js';
import { registerStability } from './stability.js';
import { registerIdentifiability } from './identifiability.js';
import { registerServe } from './serve.js';
import { registerMake } from './make.js';
import { registerCompare } from './compare.js';

const program = new Command();
program
  .name('relurev')
  .description(
    'Reverse-engineer deep ReLU networks from black-box queries: recover the architecture, every weight and bias\n' +
      '(up to neuron permutation and positive scaling), and prove it against the original.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerDemo(program);
registerExtract(program);
registerServe(program);
registerCompare(program);
registerMake(program);
registerInvert(program);
registerStability(program);
registerIdentifiability(program);
registerPlot(program);
registerBench(program);


try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    throw e;
  }
}
