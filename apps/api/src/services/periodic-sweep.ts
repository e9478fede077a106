import type { Logger } from '@claimline/logger';

export type Sweep = { runOnce(): Promise<number>; stop(): void };

/**
 * A timer in the API process that runs `runOnce` every `intervalSeconds`, never two at a time, and logs
 * what it did (`done` names the count) or why it failed (the next tick retries). Several API processes
 * may sweep at once: each sweep must be a single idempotent statement. The timer does not hold the
 * process open.
 */
export function startPeriodicSweep(
  logger: Logger,
  options: { intervalSeconds: number; enabled?: boolean; name: string; done: string },
  runOnce: () => Promise<number>,
): Sweep {
  let running = false;
  const timer =
    options.enabled === false
      ? undefined
      : setInterval(() => {
          if (running) return;
          running = true;
          runOnce()
            .then((n) => n > 0 && logger.info({ [options.done]: n }, `${options.name} sweep`))
            .catch((err: unknown) => logger.warn({ err }, `${options.name} sweep failed; will retry`))
            .finally(() => (running = false));
        }, options.intervalSeconds * 1000);
  timer?.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
