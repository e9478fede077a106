import type { PrismaClient } from '@claimline/db';
import { shredBurnedKeys } from '@claimline/device-ledger';
import type { Logger } from '@claimline/logger';

export type ShredSweep = { runOnce(): Promise<number>; stop(): void };

/** With a retention > 0, a timer in the API process shreds the keys whose retention has passed. */
export function startShredSweep(
  prisma: PrismaClient,
  logger: Logger,
  retentionSeconds: number,
  intervalSeconds: number,
): ShredSweep {
  const runOnce = () =>
    prisma.$transaction((tx) => shredBurnedKeys(tx, { olderThanSeconds: retentionSeconds }));
  let running = false;
  const timer =
    retentionSeconds > 0
      ? setInterval(() => {
          if (running) return;
          running = true;
          runOnce()
            .then((n) => n > 0 && logger.info({ shredded: n }, 'shredded burned units’ private keys'))
            .catch((err: unknown) => logger.warn({ err }, 'shred sweep failed; will retry'))
            .finally(() => (running = false));
        }, intervalSeconds * 1000)
      : undefined;
  timer?.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
