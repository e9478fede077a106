import { enqueueMaintenance, enqueueProvisioning, JOBS, type DeviceToProvision } from '@claimline/jobs';
import type { CertificateRef } from '@claimline/device-ledger';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors/app-error.js';

/**
 * Enqueues after the database commit. A failure leaves the devices QUEUED in the database with no job;
 * the caller answers 503 QUEUE_UNAVAILABLE naming the batch, and the jobs are recovered by
 * `POST /v1/batches/{id}/requeue` or by retrying the POST with the same Idempotency-Key. Both re-add
 * the same job ids (serial + generation), which BullMQ ignores when they exist.
 */
export async function enqueueOrFail(
  deps: AppDeps,
  devices: readonly DeviceToProvision[],
  priority: number,
  batchId: string,
): Promise<number> {
  try {
    return await enqueueProvisioning(deps.queues.provisioning, devices, priority);
  } catch (error) {
    throw storedNotEnqueued(deps, batchId, error);
  }
}

/** A batch committed whose jobs were not all added (the queue, or reading its units back, failed). */
export function storedNotEnqueued(deps: AppDeps, batchId: string, error: unknown): AppError {
  deps.logger.error(
    { err: error, batchId },
    'enqueue failed after commit; recover with POST /v1/batches/{id}/requeue',
  );
  return new AppError(
    'QUEUE_UNAVAILABLE',
    `batch ${batchId} is stored but its jobs were not all enqueued; POST /v1/batches/${batchId}/requeue`,
    {
      batchId,
    },
  );
}

/**
 * Revocations at AWS, after the database commit (the certificates are REVOKING). A failure here loses
 * nothing: the workers' maintenance scan enqueues every REVOKING certificate it finds (the database is
 * the outbox), so the request still succeeds; it is logged. A finished job of the same certificate is
 * replaced (an operator asked again).
 */
export async function enqueueRevocations(
  deps: AppDeps,
  certificates: readonly CertificateRef[],
): Promise<void> {
  if (certificates.length === 0) return;
  try {
    await enqueueMaintenance(
      deps.queues.maintenance,
      certificates.map((c) => ({ job: JOBS.revokeCertificate.name, certificateRowId: c.id })),
      { replaceFinished: true },
    );
  } catch (error) {
    deps.logger.warn(
      { err: error, certificateIds: certificates.map((c) => c.certificateId) },
      "revocation not enqueued; the workers' maintenance scan enqueues it",
    );
  }
}
