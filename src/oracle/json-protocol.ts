// The JSON protocol shared by HTTP (--url), subprocess (--cmd) black boxes and `relurev serve`:
//   request  {"inputs": [[x11, ..., x1d], ...]}       one row per input
//   answer   {"outputs": [[y11, ..., y1m], ...]}      one row per input, same order
// Numbers are JSON numbers: JSON.stringify prints float64 in shortest round-trip form, so they are exact.
import { BadOutputError } from './types.js';

export function encodeInputs(xs: Float64Array, rows: number, inputDim: number): string {
  const inputs = Array.from({ length: rows }, (_, i) => Array.from(xs.subarray(i * inputDim, (i + 1) * inputDim)));
  return JSON.stringify({ inputs });
}

/**
 * Parse an answer to `rows` inputs into rows × width numbers. width 0 = not known yet: taken from the
 * first row. Anything else than the documented shape with finite numbers is a BadOutputError naming `source`.
 */
export function parseOutputs(text: string, rows: number, width: number, source: string): { ys: Float64Array; width: number } {
  const bad = (why: string) => new BadOutputError(`${source} answered garbage: ${why}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw bad(`not JSON (${excerpt(text)})`);
  }
  const outputs = (data as { outputs?: unknown } | null)?.outputs;
  if (!Array.isArray(outputs)) throw bad(`no "outputs" array (${excerpt(text)})`);
  if (outputs.length !== rows) throw bad(`${outputs.length} output rows for ${rows} inputs`);
  const m = width || (Array.isArray(outputs[0]) ? outputs[0].length : 0);
  if (m < 1) throw bad('outputs[0] is not a non-empty array of numbers');
  const ys = new Float64Array(rows * m);
  outputs.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== m) throw bad(`outputs[${i}] is not an array of ${m} numbers`);
    row.forEach((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`outputs[${i}][${j}] is ${JSON.stringify(v)}`);
      ys[i * m + j] = v;
    });
  });
  return { ys, width: m };
}

/** The start of a text on one line, for error messages. */
export function excerpt(text: string, max = 120): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t || 'empty';
}
