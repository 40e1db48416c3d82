// One way every command ends: user errors as one line on stderr and a non-zero exit, never a stack trace.
import { InvalidArgumentError } from 'commander';
import { ModelFormatError } from '../network/format.js';
import { OracleError } from '../oracle/types.js';

/** An error the user can fix (bad flag, bad file, bad target); printed as one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes: 1 = extraction incomplete/failed on the black box, 2 = bad usage or input file, 3 = internal error. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError || e instanceof ModelFormatError || e instanceof InvalidArgumentError) return 2;
  if (e instanceof OracleError) return 1;
  return 3;
}

export function isUserError(e: unknown): boolean {
  return e instanceof UsageError || e instanceof ModelFormatError || e instanceof InvalidArgumentError || e instanceof OracleError;
}

/** Wrap a command action: print a one-line error and set the exit code on failure. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (isUserError(e)) {
        process.stderr.write(`relurev: error: ${msg}\n`);
      } else {
        process.stderr.write(`relurev: internal error: ${msg}\n`);
        if (process.env.RELUREV_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      }
      process.exitCode = exitCodeFor(e);
    }
  };
}

/**
 * Parse an integer option. Usable as a commander argParser (its InvalidArgumentError becomes commander's own
 * one-line "option ... is invalid" message and exit code 2) or called inside an action.
 */
export function intOption(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
}

/** Parse a number option (see intOption). */
export function numberOption(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
    return n;
  };
}
