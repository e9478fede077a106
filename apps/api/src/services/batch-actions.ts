import type { Batch } from '@claimline/db';
import { cancelQueuedDevices, requeueFailedDevices, type QueuedUnit } from '@claimline/device-ledger';
import { provisionJobId, type DeviceToProvision } from '@claimline/jobs';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { audit } from './audit.js';
import { findVisibleBatch } from './batch-access.js';
import { enqueueQueuedUnits } from './batch-store.js';
import { enqueueOrFail } from './enqueue.js';

type Row = QueuedUnit;
const toJobs = (rows: Row[]): DeviceToProvision[] =>
  rows.map((r) => ({ deviceId: r.id, serial: r.serial, generation: r.provision_generation }));

const REMOVE_CONCURRENCY = 200;

/** Removes waiting jobs; a job that is active is locked and stays (the worker finishes it). */
async function removeJobs(ctx: HandlerContext, rows: Row[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < rows.length; i += REMOVE_CONCURRENCY) {
    const results = await Promise.all(
      rows
        .slice(i, i + REMOVE_CONCURRENCY)
        .map((r) =>
          ctx.deps.queues.provisioning
            .remove(provisionJobId(r.serial, r.provision_generation))
            .catch(() => 0),
        ),
    );
    removed += results.filter((n) => n === 1).length;
  }
  return removed;
}

function assertOpen(batch: Batch): void {
  if (batch.cancelledAt || batch.finishedAt) {
    throw new AppError(
      'BATCH_NOT_OPEN',
      `batch ${batch.id} is ${batch.cancelledAt ? 'cancelled' : 'finished'}`,
    );
  }
}

/** QUEUED → CANCELLED in one statement; their waiting jobs are removed after the commit. */
export async function cancelBatch(ctx: HandlerContext, id: string) {
  const { prisma } = ctx.deps;
  const rows = await prisma.$transaction(async (tx) => {
    const batch = await findVisibleBatch(ctx, tx, id);
    assertOpen(batch);
    const cancelled = await cancelQueuedDevices(tx, id);
    await tx.batch.update({ where: { id }, data: { cancelledAt: new Date() } });
    await audit(tx, ctx, { action: 'batch.cancel', batchId: id, details: { cancelled: cancelled.length } });
    return cancelled;
  });
  const jobsRemoved = await removeJobs(ctx, rows);
  return { id, affected: rows.length, enqueued: 0, jobsRemoved };
}

/** FAILED → QUEUED with the next job generation; a finished batch is reopened. */
export async function retryBatch(ctx: HandlerContext, id: string) {
  const { prisma } = ctx.deps;
  const { rows, batch } = await prisma.$transaction(async (tx) => {
    const batch = await findVisibleBatch(ctx, tx, id);
    if (batch.cancelledAt) throw new AppError('BATCH_NOT_OPEN', `batch ${id} is cancelled`);
    const retried = await requeueFailedDevices(tx, id);
    if (retried.length === 0)
      throw new AppError('NO_FAILED_DEVICES', `batch ${id} has no FAILED devices to retry`);
    if (batch.finishedAt) await tx.batch.update({ where: { id }, data: { finishedAt: null } });
    await audit(tx, ctx, { action: 'batch.retry', batchId: id, details: { retried: retried.length } });
    return { rows: retried, batch };
  });
  const enqueued = await enqueueOrFail(ctx.deps, toJobs(rows), batch.priority, id);
  return { id, affected: rows.length, enqueued };
}

/** Recovery after a failed enqueue: re-adds every QUEUED device's job at its current generation (idempotent). */
export async function requeueBatch(ctx: HandlerContext, id: string) {
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  assertOpen(batch);
  const { queued, enqueued } = await enqueueQueuedUnits(ctx, id, batch.priority);
  await audit(ctx.deps.prisma, ctx, {
    action: 'batch.requeue',
    batchId: id,
    details: { queued },
  });
  return { id, affected: queued, enqueued };
}
