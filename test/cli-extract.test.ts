// `relurev extract` end to end, as a user runs it (node --import tsx src/cli/main.ts): the file written, the --json
// line, the partial result on an exhausted budget, and one-line errors with the documented exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareNetworks } from '../src/network/compare.js';
import { readNetworkJson, writeNetworkJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'relurev-cli-extract-'));

function relurev(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

/** No stack trace: no "    at " frames, no "Error:" dumps of internal errors. */
function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
  assert.doesNotMatch(stderr, /internal error/, stderr);
}

const target = join(dir, 'target-10-12-2.json');
const truth = randomNetwork([10, 12, 2], 4);
writeNetworkJson(target, truth);

test('extract a one-hidden-layer network: file written, --json last line parses, widths right, --truth compares', () => {
  const out = join(dir, 'recovered.json');
  const r = relurev('extract', '--model', target, '--out', out, '--json', '--seed', '3', '--truth', target);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(lastLine(r.stdout)) as Record<string, unknown> & { comparison: Record<string, unknown> };
  assert.deepEqual(summary.widths, [12]);
  assert.equal(summary.complete, true);
  assert.equal(summary.partial, false);
  assert.equal(summary.parameters, 10 * 12 + 12 + 12 * 2 + 2);
  assert.ok((summary.queries as number) > 0);
  assert.ok((summary.seconds as number) >= 0);
  assert.deepEqual(summary.unresolved, []);
  assert.equal(summary.out, out);
  assert.ok((summary.comparison.worstRelErr as number) <= 1e-6);
  assert.ok((summary.comparison.functionalError as number) <= 1e-6);
  assert.equal((summary.comparison.layers as unknown[]).length, 2);

  const file = JSON.parse(readFileSync(out, 'utf8')) as { partial?: boolean; meta: Record<string, unknown> };
  assert.equal(file.partial, undefined);
  assert.equal(file.meta.queries, summary.queries);
  assert.deepEqual(file.meta.widths, [12]);
  assert.equal(file.meta.seed, 3);
  assert.equal(file.meta.source, target);
  const recovered = readNetworkJson(out);
  assert.ok(compareNetworks(recovered, truth).worstRelErr <= 1e-6);
});

test('the text summary names the architecture, queries and the file', () => {
  const out = join(dir, 'recovered-text.json');
  const r = relurev('extract', '--model', target, '--out', out, '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /recovered: 10-12-2/);
  assert.match(r.stdout, /queries: \d+/);
  assert.match(r.stdout, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(r.stderr, '');
});

test('--budget 50: exit 1, one-line error, partial file written with partial: true', () => {
  const out = join(dir, 'partial.json');
  const r = relurev('extract', '--model', target, '--out', out, '--budget', '50', '--json', '--quiet');
  assert.equal(r.status, 1);
  const errLines = r.stderr.trimEnd().split('\n');
  assert.equal(errLines.length, 1, r.stderr);
  assert.match(errLines[0], /^relurev: error: .*budget/);
  assertNoStack(r.stderr);
  const summary = JSON.parse(lastLine(r.stdout)) as Record<string, unknown>;
  assert.equal(summary.partial, true);
  assert.equal(summary.complete, false);
  assert.match(String(summary.error), /budget/);
  assert.ok(existsSync(out));
  const file = JSON.parse(readFileSync(out, 'utf8')) as { format: string; partial?: boolean; meta: Record<string, unknown> };
  assert.equal(file.format, 'relurev-mlp');
  assert.equal(file.partial, true);
  assert.match(String(file.meta.error), /budget/);
});

test('a budget that runs out after the first layer: the hidden layer found so far is written, partial', () => {
  const out = join(dir, 'partial-layer.json');
  // Find how many queries a full run takes, then allow only the first-layer part of it.
  const full = JSON.parse(lastLine(relurev('extract', '--model', target, '--out', join(dir, 'full.json'), '--json', '--quiet').stdout)) as {
    phases: Record<string, number>;
  };
  const budget = full.phases['layer 1'] + 1;
  const r = relurev('extract', '--model', target, '--out', out, '--budget', String(budget), '--quiet');
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  const file = JSON.parse(readFileSync(out, 'utf8')) as { partial?: boolean; layers: unknown[]; meta: Record<string, unknown> };
  assert.equal(file.partial, true);
  assert.ok(file.layers.length >= 1);
  assert.deepEqual(file.meta.widths, [12]);
});

test('a malformed model: exit 2, one line naming the problem, no stack trace, nothing written', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ format: 'relurev-mlp', version: 1, activation: 'relu', layers: [{ weights: [[1, 2], [3]], biases: [0, 0] }] }));
  const out = join(dir, 'never.json');
  const r = relurev('extract', '--model', bad, '--out', out);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /weights\[1\]/);
  assertNoStack(r.stderr);
  assert.equal(existsSync(out), false);

  const notJson = join(dir, 'garbage.json');
  writeFileSync(notJson, '{"format": ');
  const g = relurev('extract', '--model', notJson, '--out', out);
  assert.equal(g.status, 2);
  assert.match(g.stderr, /not valid JSON/);
  assertNoStack(g.stderr);
});

test('missing --model (no black box): exit 2 with a one-line usage error', () => {
  const r = relurev('extract', '--out', join(dir, 'x.json'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no black box given/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assertNoStack(r.stderr);
});

test('bad flags: exit 2, one line each', () => {
  for (const args of [
    ['--model', target, '--out', join(dir, 'y.json'), '--seed', '-1'],
    ['--model', target, '--out', join(dir, 'y.json'), '--input-scale', '0'],
    ['--model', target, '--out', join(dir, 'no-such-dir', 'y.json')],
    ['--model', target, '--out', join(dir, 'y.json'), '--truth', join(dir, 'missing.json')],
  ]) {
    const r = relurev('extract', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assertNoStack(r.stderr);
  }
});

test('relurev demo: the shipped depth-2 network is recovered within 1e-6, exit 0, in under a minute', () => {
  const started = Date.now();
  const r = relurev('demo', '--json', '--quiet');
  assert.equal(r.status, 0, r.stderr + lastLine(r.stdout));
  const d = JSON.parse(lastLine(r.stdout)) as { pass: boolean; widths: number[]; trueWidths: number[]; comparison: { worstRelErr: number; functionalError: number } };
  assert.equal(d.pass, true);
  assert.deepEqual(d.widths, d.trueWidths);
  assert.equal(d.widths.length, 2);
  assert.ok(d.comparison.worstRelErr <= 1e-6);
  assert.ok(d.comparison.functionalError <= 1e-6);
  assert.ok(Date.now() - started < 60_000);
  // The text form shows the comparison table.
  const t = relurev('demo', '--quiet');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /recovered: 10-12-10-2/);
  assert.match(t.stdout, /PASS/);
});
