import { rawSqlOf, type PrismaClient } from '@claimline/db';
import { UNFINISHED, fromStates } from './device-states.js';
import type { FailureRecord } from './ledger-errors.js';
import type { ProvisioningLedger } from './provisioning-writes.js';
import { shredFailedUnitCertificates } from './certificate-writes.js';

/** How a provisioning job ends for its unit and batch: a failure recorded, FAILED, the batch finished. */

/** A retryable failure on the device, for operators (the job goes on). */
export async function recordFailure(
  prisma: PrismaClient,
  deviceId: string,
  failure: FailureRecord,
): Promise<void> {
  await prisma.device.updateMany({
    where: { id: deviceId },
    data: {
      lastErrorCode: failure.code,
      lastErrorMessage: failure.message,
      lastErrorRetryable: failure.retryable,
    },
  });
}

/**
 * In flight → FAILED with the failure, audited; its certificates that will never be handed out lose
 * their keys in the same transaction (shredFailedUnitCertificates). Returns the batch to check for
 * completion, if changed.
 */
export async function markFailed(
  deps: ProvisioningLedger,
  deviceId: string,
  failure: FailureRecord,
): Promise<string | null> {
  return deps.prisma.$transaction(async (tx) => {
    const changed = await tx.device.updateMany({
      where: { id: deviceId, state: { in: fromStates('failed') } },
      data: {
        state: 'FAILED',
        failedAt: new Date(),
        lastErrorCode: failure.code,
        lastErrorMessage: failure.message,
        lastErrorRetryable: failure.retryable,
      },
    });
    if (changed.count === 0) return null;
    const device = await tx.device.findUniqueOrThrow({ where: { id: deviceId }, select: { batchId: true } });
    await shredFailedUnitCertificates(tx, deps.who, { id: deviceId, batchId: device.batchId });
    await tx.auditEvent.create({
      data: {
        actor: deps.who.actor,
        origin: deps.who.origin,
        action: 'device.failed',
        deviceId,
        batchId: device.batchId,
        details: { code: failure.code, statusCode: failure.statusCode ?? null, message: failure.message },
      },
    });
    return device.batchId;
  });
}

/**
 * Stamps a batch finished once none of its devices is still in flight. Called after every device
 * settles; the single conditional UPDATE makes concurrent workers harmless.
 */
export async function markBatchFinishedIfDone(prisma: PrismaClient, batchId: string): Promise<void> {
  await rawSqlOf(prisma)(
    `UPDATE batch SET finished_at = now()
     WHERE id = $1::uuid AND finished_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM device WHERE batch_id = $1::uuid AND state = ANY($2::text[]::"DeviceState"[]))`,
    [batchId, [...UNFINISHED]],
  );
}
