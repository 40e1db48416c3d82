// Progress on stderr: a bar on a TTY (cli-progress), one line per phase change otherwise.
import cliProgress from 'cli-progress';
import type { ProgressSink } from '../extract/events.js';

export function stderrProgress(quiet = false): { sink: ProgressSink; stop: () => void } {
  if (quiet) return { sink: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: ' {phase} [{bar}] {value}/{total} | {queries} queries | {message}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let lastPhase = '';
    return {
      sink: (e) => {
        const total = e.total ?? 1;
        const payload = { phase: e.phase.padEnd(14), queries: e.queries, message: e.message ?? '' };
        if (!started) {
          bar.start(total, e.done ?? 0, payload);
          started = true;
        } else if (e.phase !== lastPhase) {
          bar.setTotal(total);
          bar.update(e.done ?? 0, payload);
        } else {
          if (e.total !== undefined) bar.setTotal(total);
          bar.update(e.done ?? 0, payload);
        }
        lastPhase = e.phase;
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = '';
  return {
    sink: (e) => {
      const line = `[${e.phase}] ${e.message ?? ''}`.trim();
      if (e.message && line !== last) {
        process.stderr.write(`relurev: ${line} (${e.queries} queries)\n`);
        last = line;
      }
    },
    stop: () => {},
  };
}
