import type { Redis } from 'ioredis';
import type { Logger } from '@claimline/logger';
import { sweepStuckUnits, type SweepDeps, type SweepResult } from './sweep.js';
import { withLock } from './sweep-lock.js';

export type StuckUnitSweeper = {
  /** One sweep now, under the lock; `null` when another process holds it. */
  runOnce(): Promise<SweepResult | null>;
  /** No more ticks; resolves once a sweep under way has finished and released its lock. */
  stop(): Promise<void>;
};

/**
 * Every `intervalMs`, one sweep across all workers (a Redis lock under the queue prefix). Requeued
 * units are logged by serial; a failed sweep is logged and the next tick tries again.
 */
export function startStuckUnitSweeper(
  deps: SweepDeps & { redis: Redis; keyPrefix: string; intervalMs: number; logger: Logger },
): StuckUnitSweeper {
  const key = `${deps.keyPrefix}:sweeper:stuck-units`;
  // Longer than any sweep; a holder that dies frees it by expiry.
  const lockMs = Math.max(60_000, deps.intervalMs);
  let running: Promise<unknown> | undefined;
  const runOnce = async () => {
    const result = await withLock(deps.redis, key, lockMs, () => sweepStuckUnits(deps));
    if (!result.ran) return null;
    if (result.value.requeued.length > 0)
      deps.logger.warn({ requeued: result.value.requeued }, 'stuck units requeued');
    return result.value;
  };
  const timer =
    deps.intervalMs > 0
      ? setInterval(() => {
          if (running) return;
          running = runOnce()
            .catch((err: unknown) => deps.logger.warn({ err }, 'stuck-unit sweep failed; will retry'))
            .finally(() => (running = undefined));
        }, deps.intervalMs)
      : undefined;
  timer?.unref();
  return {
    runOnce,
    // A sweep cut off by the process's exit would keep its lock from every worker for `lockMs`.
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
