import { SingleBar } from 'cli-progress';
import type { RotationProgress } from './rotate.js';

export type ProgressOutput = { update(progress: RotationProgress): void; stop(): void };

/**
 * A progress bar on a terminal; elsewhere (logs, CI, a parent process) one plain line per batch,
 * `rotate: 200/1000 re-wrapped 198 failed 2`, which a script or a test can read.
 */
export function progressOutput(stream: NodeJS.WriteStream = process.stderr): ProgressOutput {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format:
        'rotate [{bar}] {value}/{total} secrets | re-wrapped {rewrapped} | failed {failed} | eta {eta}s',
      hideCursor: true,
    });
    let started = false;
    return {
      update(p) {
        if (!started) bar.start(p.total, p.done, { rewrapped: p.rewrapped, failed: p.failed });
        else bar.setTotal(p.total);
        started = true;
        bar.update(p.done, { rewrapped: p.rewrapped, failed: p.failed });
      },
      stop: () => started && bar.stop(),
    };
  }
  return {
    update: (p) =>
      stream.write(`rotate: ${p.done}/${p.total} re-wrapped ${p.rewrapped} failed ${p.failed}\n`),
    stop: () => undefined,
  };
}
