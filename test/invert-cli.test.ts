// relurev invert: the target file formats, the JSON result, and one-line errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { outputAfter } from '../src/invert/activations.js';
import { forward } from '../src/network/forward.js';
import { writeNetworkJson } from '../src/network/format.js';
import { randomNetwork } from '../src/network/init.js';
import { makeRng, normalVector } from '../src/network/random.js';

const dir = mkdtempSync(join(tmpdir(), 'relurev-invert-'));
const netPath = join(dir, 'net.json');
const net = randomNetwork([4, 16, 80, 200], 3);
writeNetworkJson(netPath, net);
const x = normalVector(makeRng(7), 4);
const y = Array.from(forward(net, x, 1));

function invert(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'invert', netPath, ...args], { encoding: 'utf8' });
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

test('array target, --json: singleton, the input back, tiny residual', () => {
  const r = invert('--target', file('y.json', JSON.stringify(y)), '--json');
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim());
  assert.equal(res.kind, 'singleton');
  assert.equal(res.unique, true);
  assert.equal(res.scope, 'global');
  assert.ok(res.point.every((v: number, i: number) => Math.abs(v - x[i]) <= 1e-8));
  assert.ok(res.residual <= 1e-9);
});

test('{"target": [...]} and --layer: the summary names class, point and residual', () => {
  const h1 = outputAfter(net, x, 1);
  const r = invert('--target', file('h1.json', JSON.stringify({ target: Array.from(h1) })), '--layer', '1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /output after layer 1/);
  assert.match(r.stdout, /class: +singleton/);
  assert.match(r.stdout, /residual: +max\|N\(x\*\) − y\| = /);
});

test('no pre-image is a result, not an error', () => {
  const r = invert('--target', file('neg.json', JSON.stringify(Array(16).fill(-1))), '--layer', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).kind, 'empty');
});

test('bad input: one line on stderr, exit 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['--target', file('short.json', '[1, 2]')], /has 2 values, but layer 3 .* has 200 outputs/],
    [['--target', file('bad.json', '{"target": [1, "a"]}')], /expected an array of numbers/],
    [['--target', join(dir, 'missing.json'), '--layer', '2'], /cannot read target file .*ENOENT/],
    [['--target', file('y2.json', JSON.stringify(y)), '--layer', '9'], /--layer 9: .* has 3 layers/],
  ];
  for (const [args, message] of cases) {
    const r = invert(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  }
});
