// The flags that name a black box (shared by extract and other commands) and how they become an OracleSpec.
import type { Command } from 'commander';
import type { OracleSpec } from '../oracle/open.js';
import { intOption, UsageError } from './run.js';

export function addOracleOptions(cmd: Command): Command {
  return cmd
    .option('--model <file>', 'the black box is a model file (relurev-mlp JSON)')
    .option('--budget <n>', 'stop with a partial result after N queries', intOption('--budget', 1));
}

export function oracleSpecFrom(opts: Record<string, unknown>): OracleSpec {
  if (!opts.model) throw new UsageError('no black box given: use --model FILE');
  return { model: opts.model as string, budget: opts.budget as number | undefined };
}
