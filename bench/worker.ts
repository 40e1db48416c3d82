// One benchmark run in a worker thread (bench/common.ts runIsolated): a run that exhausts its memory or its time is
// recorded as a failure instead of ending the whole benchmark.
import { parentPort, workerData } from 'node:worker_threads';
import { runOne, type Target } from './common.js';

const { target, seed } = workerData as { target: Target; seed: number };
parentPort!.postMessage(await runOne(target, seed, { log: false }));
