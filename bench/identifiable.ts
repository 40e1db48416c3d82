// What no query can reveal about a benchmark's target (invert/identifiability.ts: dead and always-on neurons, weights
// between neurons never active together), certified once per target and seed and cached next to the target networks:
// a run is then judged exact wherever its truth is identifiable (compare.ts exactWhereIdentifiable).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { identifiability, type Identifiability } from '../src/invert/identifiability.js';
import type { Network } from '../src/network/types.js';

/**
 * The box of the certificates, [−R, R]^n: the extraction's lines reach ~256 × the input scale (1 in the benchmarks)
 * from points drawn at that scale, so a neuron that switches only beyond R is out of the benchmarks' reach anyway.
 */
export const CERTIFY_RADIUS = 1000;

/** The cached certificates of a target, or undefined when none were made. */
export function readObstacles(cache: string): Identifiability | undefined {
  return existsSync(cache) ? (JSON.parse(readFileSync(cache, 'utf8')) as Identifiability) : undefined;
}

/** The certificates of `net`, from the cache or made now (and cached). */
export async function certifyTarget(cache: string, net: Network): Promise<Identifiability> {
  const cached = readObstacles(cache);
  if (cached) return cached;
  const r = await identifiability(net, { radius: CERTIFY_RADIUS });
  mkdirSync(dirname(cache), { recursive: true });
  writeFileSync(cache, JSON.stringify(r));
  return r;
}

/** "L3 n7 ← 2, 3; L4 n2 always on" — the obstacles, for a log line. */
export function describeObstacles(r: Identifiability): string {
  const parts = r.neurons.filter((c) => c.state === 'dead' || c.state === 'always-on').map((c) => `L${c.layer} n${c.neuron} ${c.state}`);
  for (const p of r.neverJointly) parts.push(`L${p.layer} n${p.neuron}←${p.from} never active`);
  if (r.undecided) parts.push(`${r.undecided} undecided`);
  return parts.join('; ');
}
