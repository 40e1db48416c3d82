// The flags that name a black box (shared by extract and other commands) and how they become an OracleSpec.
import { InvalidArgumentError, type Command } from 'commander';
import type { OracleSpec } from '../oracle/open.js';
import { intOption, UsageError } from './run.js';

// Parsers throw commander's InvalidArgumentError: commander turns it into a one-line usage error.

function collectHeader(v: string, prev: string[] = []): string[] {
  if (!/^[^:\s]+:/.test(v)) throw new InvalidArgumentError('expected "Name: value"');
  return [...prev, v];
}

function precisionOption(v: string): 'float64' | 'float32' | 'auto' {
  if (v !== 'float64' && v !== 'float32' && v !== 'auto') throw new InvalidArgumentError('expected float64, float32 or auto');
  return v;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

export function addOracleOptions(cmd: Command): Command {
  return cmd
    .option('--model <file>', 'the black box is a model file (relurev-mlp JSON, or .onnx run by onnxruntime)')
    .option('--url <url>', 'the black box is an HTTP endpoint: POST {"inputs": [[...], ...]} -> {"outputs": [[...], ...]}')
    .option('--cmd <command>', 'the black box is a program: one JSON line {"inputs": [[...]]} on stdin -> one line {"outputs": [[...]]} on stdout')
    .option('--input-dim <n>', 'input width of a --url or --cmd black box', intOption('--input-dim', 1))
    .option('--batch-size <n>', 'inputs per HTTP request or subprocess line (default 256)', intOption('--batch-size', 1))
    .option('--concurrency <n>', 'HTTP requests in flight at once (default 4)', intOption('--concurrency', 1))
    .option('--timeout <ms>', 'per-request timeout in milliseconds (default 30000)', intOption('--timeout', 1))
    .option('--retries <n>', 'HTTP retries on timeouts, connection errors and 5xx, with exponential backoff (default 5)', intOption('--retries', 0))
    .option('--rate-limit <n>', 'at most N HTTP requests per second', positiveNumber)
    .option('--header <header>', 'extra HTTP header "Name: value", e.g. "Authorization: Bearer TOKEN" (repeatable)', collectHeader)
    .option('--query-log <file>', 'append every query and answer to FILE; answers already in it are not asked again (resume)')
    .option('--precision <p>', "the black box's precision: float64, float32 or auto (detect)", precisionOption, 'auto')
    .option('--budget <n>', 'stop with a partial result after N queries to the black box (answers from --query-log are free)', intOption('--budget', 1));
}

export function oracleSpecFrom(opts: Record<string, unknown>): OracleSpec {
  const sources = ['model', 'url', 'cmd'].filter((k) => opts[k] !== undefined);
  if (sources.length === 0) throw new UsageError('no black box given: use --model FILE, --url URL or --cmd COMMAND');
  if (sources.length > 1) throw new UsageError(`give one black box, not ${sources.map((s) => `--${s}`).join(' and ')}`);
  if ((opts.url !== undefined || opts.cmd !== undefined) && opts.inputDim === undefined) {
    throw new UsageError(`--input-dim is required with --${sources[0]}`);
  }
  if (opts.url !== undefined) {
    try {
      const u = new URL(opts.url as string);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--url must be an http:// or https:// URL, got "${opts.url as string}"`);
    }
  }
  const headers: Record<string, string> = {};
  for (const h of (opts.header as string[] | undefined) ?? []) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return {
    model: opts.model as string | undefined,
    url: opts.url as string | undefined,
    cmd: opts.cmd as string | undefined,
    inputDim: opts.inputDim as number | undefined,
    batchSize: opts.batchSize as number | undefined,
    concurrency: opts.concurrency as number | undefined,
    timeoutMs: opts.timeout as number | undefined,
    retries: opts.retries as number | undefined,
    rateLimit: opts.rateLimit as number | undefined,
    headers: Object.keys(headers).length ? headers : undefined,
    queryLog: opts.queryLog as string | undefined,
    precision: (opts.precision as OracleSpec['precision']) ?? 'auto',
    budget: opts.budget as number | undefined,
  };
}
