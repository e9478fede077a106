import { Queue } from 'bullmq';
import type { WorkerConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import type { Actor } from '@claimline/device-ledger';
import { createRedisConnection, QUEUES } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import { startStuckUnitSweeper } from '@claimline/stuck-units';

/**
 * The stuck-unit sweeper as a worker runs it: every WORKER_SWEEP_INTERVAL_MS, whichever worker takes
 * the Redis lock requeues the in-flight units that nothing will run any more (docs/operations.md).
 */
export function runStuckUnitSweep(
  config: WorkerConfig,
  deps: { prisma: PrismaClient; who: Actor; leaseMs: number; logger: Logger },
): { close(): Promise<void> } {
  if (config.WORKER_SWEEP_INTERVAL_MS === 0) return { close: async () => undefined };
  const connection = createRedisConnection(config.REDIS_URL, 'producer');
  const queue = new Queue(QUEUES.provisioning, { connection, prefix: config.QUEUE_PREFIX });
  const sweeper = startStuckUnitSweeper({
    ...deps,
    queue,
    redis: connection,
    keyPrefix: config.QUEUE_PREFIX,
    intervalMs: config.WORKER_SWEEP_INTERVAL_MS,
  });
  return {
    async close() {
      await sweeper.stop();
      await queue.close();
      connection.disconnect();
    },
  };
}
