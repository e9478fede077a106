import type { PrismaClient } from '@claimline/db';
import { shredBurnedKeys } from '@claimline/device-ledger';
import type { Logger } from '@claimline/logger';
import { startPeriodicSweep, type Sweep } from '../periodic-sweep.js';

/** With a retention > 0, a timer in the API process shreds the keys whose retention has passed. */
export function startShredSweep(
  prisma: PrismaClient,
  logger: Logger,
  retentionSeconds: number,
  intervalSeconds: number,
): Sweep {
  return startPeriodicSweep(
    logger,
    { intervalSeconds, enabled: retentionSeconds > 0, name: 'private-key shred', done: 'shredded' },
    () => prisma.$transaction((tx) => shredBurnedKeys(tx, { olderThanSeconds: retentionSeconds })),
  );
}
