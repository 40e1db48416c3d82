// `relurev make`: write a test target — an untrained network (seed 001 §6 init) or one trained on a task.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { memorisationTask, mnistDigits, MNIST_PIXELS, type Dataset } from '../network/datasets.js';
import { writeNetworkJson } from '../network/format.js';
import { randomNetwork } from '../network/init.js';
import { trainClassifier } from '../network/train.js';
import { streamSeed } from '../network/random.js';
import { parseArch, type Network } from '../network/types.js';
import { action, intOption, numberOption, UsageError } from './run.js';

type DataName = 'memorise' | 'mnist';

const MNIST_COUNT = 10000;
const DEFAULTS: Record<DataName, { epochs: number; samples: number }> = {
  memorise: { epochs: 500, samples: 1000 },
  mnist: { epochs: 5, samples: MNIST_COUNT },
};

interface MakeFlags {
  arch: string;
  seed: string;
  out: string;
  trained?: boolean;
  data?: string;
  epochs?: string;
  samples?: string;
  lr?: string;
}

/** Fail before any training if the output file cannot be written. */
function checkWritable(path: string): void {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--out ${path} is a directory`);
    accessSync(dirname(path), constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot write --out ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function write(path: string, net: Network, meta: Record<string, unknown>): void {
  try {
    writeNetworkJson(path, net, { meta });
  } catch (e) {
    throw new UsageError(`cannot write --out ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function loadData(name: DataName, dims: number[], samples: number, seed: number): Dataset {
  const inDim = dims[0];
  const outDim = dims[dims.length - 1];
  if (name === 'mnist') {
    if (inDim !== MNIST_PIXELS || outDim !== 10) {
      throw new UsageError(`--data mnist needs input size ${MNIST_PIXELS} and output size 10, got ${dims.join('-')}`);
    }
    if (samples > MNIST_COUNT) throw new UsageError(`--samples: mnist has ${MNIST_COUNT} digits, got ${samples}`);
    return mnistDigits(samples);
  }
  if (outDim < 2) throw new UsageError(`--data memorise has labels {0, 1}: the output size must be >= 2, got ${dims.join('-')}`);
  return memorisationTask(inDim, samples, streamSeed(seed, 1));
}

function runMake(flags: MakeFlags): void {
  let dims: number[];
  try {
    dims = parseArch(flags.arch);
  } catch (e) {
    throw new UsageError(`--arch: ${(e as Error).message}`);
  }
  const seed = intOption('--seed', 0)(flags.seed);
  if (seed > 0x7fffffff) throw new UsageError(`--seed must be at most ${0x7fffffff}, got ${seed}`);
  const trained = flags.trained ?? false;
  if (!trained) {
    const stray = (['data', 'epochs', 'samples', 'lr'] as const).filter((k) => flags[k] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map((k) => `--${k}`).join(', ')} given without --trained`);
  }
  const dataName = flags.data ?? 'memorise';
  if (dataName !== 'memorise' && dataName !== 'mnist') throw new UsageError(`--data must be memorise or mnist, got "${dataName}"`);
  const epochs = flags.epochs === undefined ? DEFAULTS[dataName].epochs : intOption('--epochs', 1)(flags.epochs);
  const samples = flags.samples === undefined ? DEFAULTS[dataName].samples : intOption('--samples', 1)(flags.samples);
  const lr = flags.lr === undefined ? 1e-3 : numberOption('--lr')(flags.lr);
  if (lr <= 0) throw new UsageError(`--lr must be positive, got ${lr}`);
  const arch = dims.join('-');
  const data = trained ? loadData(dataName, dims, samples, seed) : null;
  checkWritable(flags.out);

  const net = randomNetwork(dims, seed);
  if (!data) {
    write(flags.out, net, { arch, seed, trained: false });
    process.stdout.write(`wrote ${flags.out}: ${arch}, seed ${seed}, untrained (W ~ N(0, 2/fan_in), b ~ N(0, 1))\n`);
    return;
  }

  process.stderr.write(`relurev: training ${arch} on ${dataName} (${data.n} samples), up to ${epochs} epochs, lr ${lr}\n`);
  const every = Math.max(1, Math.ceil(epochs / 25));
  const started = Date.now();
  const result = trainClassifier(net, data.xs, data.labels, data.n, {
    epochs,
    lr,
    seed: streamSeed(seed, 2),
    // Memorisation stops as soon as every sample is fitted; MNIST runs its epochs.
    targetAccuracy: dataName === 'memorise' ? 1 : undefined,
    onEpoch: (epoch, loss, accuracy) => {
      if (epoch === 1 || epoch % every === 0 || epoch === epochs || accuracy === 1) {
        process.stderr.write(`relurev: epoch ${epoch}/${epochs}  loss ${loss.toFixed(4)}  accuracy ${(100 * accuracy).toFixed(2)}%\n`);
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  write(flags.out, net, { arch, seed, trained: true, data: dataName, samples: data.n, lr, epochs: result.epochs, accuracy: result.accuracy, loss: result.loss });
  process.stdout.write(
    `wrote ${flags.out}: ${arch}, seed ${seed}, trained on ${dataName} (${data.n} samples), ${result.epochs} epochs, ` +
      `training accuracy ${(100 * result.accuracy).toFixed(2)}%, loss ${result.loss.toFixed(4)}, ${seconds.toFixed(1)} s\n`,
  );
}

export function registerMake(program: Command): void {
  program
    .command('make')
    .description(
      'Write a test target network (relurev-mlp JSON). Untrained: W ~ N(0, 2/fan_in), b ~ N(0, 1) (paper §6).\n' +
        'With --trained: that network is then trained in float64 (Adam, softmax cross-entropy on its outputs).',
    )
    .requiredOption('--arch <dims>', 'architecture: layer sizes from input to output joined by "-", e.g. 10-20-20-2')
    .option('--seed <n>', 'seed of the initial weights (and of the training data and shuffling); same seed, same file', '0')
    .requiredOption('--out <file>', 'where to write the network (relurev-mlp JSON)')
    .option('--trained', 'train the network after initialising it (default: leave it untrained)')
    .option(
      '--data <name>',
      'training task with --trained: "memorise" = random N(0,1) inputs with random labels {0,1} (output size >= 2; ' +
        'stops early at 100% training accuracy), "mnist" = the 10,000 MNIST digits of the mnist package (needs 784-...-10)',
    )
    .option('--epochs <n>', 'maximum number of passes over the training data (default: 500 for memorise, 5 for mnist)')
    .option('--samples <n>', 'number of training samples (default: 1000 for memorise, all 10000 for mnist)')
    .option('--lr <x>', 'Adam learning rate (default: 0.001)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  relurev make --arch 10-20-20-2 --seed 7 --out untrained.json\n' +
        '  relurev make --arch 10-20-20-2 --seed 7 --trained --out memorised.json\n' +
        '  relurev make --arch 784-128-10 --trained --data mnist --epochs 3 --out mnist.json',
    )
    .action(action(runMake));
}
