import { Queue, Worker } from 'bullmq';
import type { ControlPlane } from '@claimline/aws-control-plane';
import type { WorkerConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import type { Actor } from '@claimline/device-ledger';
import { backoffStrategy, createRedisConnection, QUEUES } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import { withLock } from '@claimline/stuck-units';
import { createMaintenanceProcessor } from './maintenance-processor.js';
import { scanForMaintenance } from './maintenance-scan.js';
import { runScheduledReconcile } from './scheduled-reconcile.js';

/**
 * The maintenance queue as a worker process runs it, beside (not inside) the provisioning worker: its
 * own BullMQ worker and Redis connections, its own concurrency, and the control plane's per-operation
 * quotas (shared through Redis with every process). Two periodic tasks, each under a Redis lock so one
 * worker runs it at a time: the scan that enqueues unsettled certificates, and the scheduled reconcile
 * (off by default).
 */
export function runMaintenance(
  config: WorkerConfig,
  deps: {
    prisma: PrismaClient;
    who: Actor;
    controlPlane: ControlPlane | undefined;
    absence: string;
    logger: Logger;
  },
): { close(): Promise<void> } {
  const logger = deps.logger.child({ queue: QUEUES.maintenance });
  const producer = createRedisConnection(config.REDIS_URL, 'producer');
  const queue = new Queue(QUEUES.maintenance, { connection: producer, prefix: config.QUEUE_PREFIX });
  const workerConnection = createRedisConnection(config.REDIS_URL, 'worker');
  const worker =
    config.WORKER_MAINTENANCE_CONCURRENCY > 0
      ? new Worker(QUEUES.maintenance, createMaintenanceProcessor({ ...deps, logger }), {
          connection: workerConnection,
          prefix: config.QUEUE_PREFIX,
          concurrency: config.WORKER_MAINTENANCE_CONCURRENCY,
          settings: { backoffStrategy },
          lockDuration: config.WORKER_LOCK_DURATION_MS,
          stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
        })
      : undefined;
  worker?.on('error', (error) => logger.error({ err: error }, 'maintenance worker error'));
  if (!deps.controlPlane)
    logger.warn(
      { reason: deps.absence },
      'no control plane: maintenance jobs (revoke, orphan clean-up at AWS) fail with ControlPlaneUnavailable; certificates stay REVOKING / unsettled until a worker with a control plane runs them',
    );

  const timers: NodeJS.Timeout[] = [];
  /** Periodic tasks under way: close() waits for them, so each releases its lock before Redis goes. */
  const inFlight = new Set<Promise<unknown>>();
  const every = (intervalMs: number, lockName: string, lockMs: number, task: () => Promise<unknown>) => {
    if (intervalMs === 0) return;
    let running = false;
    const key = `${config.QUEUE_PREFIX}:lock:${lockName}`;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      const run = withLock(producer, key, lockMs, task)
        .catch((err: unknown) =>
          logger.warn({ err, task: lockName }, 'periodic maintenance task failed; next tick retries'),
        )
        .finally(() => {
          running = false;
          inFlight.delete(run);
        });
      inFlight.add(run);
    }, intervalMs);
    timer.unref();
    timers.push(timer);
  };

  every(config.WORKER_MAINTENANCE_SCAN_INTERVAL_MS, 'maintenance-scan', 60_000, async () => {
    const result = await scanForMaintenance(deps.prisma, queue, { hasControlPlane: !!deps.controlPlane });
    if (result.enqueued > 0) logger.info(result, 'maintenance scan enqueued certificates to settle at AWS');
  });
  const { controlPlane } = deps;
  if (controlPlane) {
    // A run of 10,000 units takes ~19 min at the default quota: the lock outlives any run.
    const lockMs = Math.max(2 * config.WORKER_RECONCILE_INTERVAL_MS, 3_600_000);
    every(config.WORKER_RECONCILE_INTERVAL_MS, 'reconcile', lockMs, () =>
      runScheduledReconcile({
        prisma: deps.prisma,
        controlPlane,
        maintenanceQueue: queue,
        who: deps.who,
        fix: config.WORKER_RECONCILE_FIX,
        logger,
      }),
    );
  } else if (config.WORKER_RECONCILE_INTERVAL_MS > 0) {
    logger.warn({ reason: deps.absence }, 'no control plane: the scheduled reconcile does not run');
  }

  return {
    async close() {
      timers.forEach((timer) => clearInterval(timer));
      // A task cut off here would keep its lock (up to an hour for the reconcile) from the next worker.
      await Promise.allSettled([...inFlight]);
      await worker?.close();
      await queue.close();
      producer.disconnect();
      workerConnection.disconnect();
    },
  };
}
