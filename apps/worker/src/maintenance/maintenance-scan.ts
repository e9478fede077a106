import type { Job, Queue } from 'bullmq';
import type { PrismaClient } from '@claimline/db';
import { unsettledCertificates } from '@claimline/device-ledger';
import { enqueueMaintenance, JOBS } from '@claimline/jobs';

const SCAN_LIMIT = 1_000;

/**
 * The database is the maintenance queue's outbox: REVOKING, REVOKED and ORPHANED certificates whose
 * clean-up at AWS is not confirmed (`aws_settled_at` null) are (re-)enqueued, whatever wrote them
 * (the API's revoke, a worker orphaning a certificate or failing a unit, a migration) and whether or
 * not their first enqueue happened. Jobs already there are left alone, so a job that failed for good
 * is not re-run every scan, except when it failed only because this process had no control plane and
 * now has one.
 */
export async function scanForMaintenance(
  prisma: PrismaClient,
  queue: Queue,
  options: { hasControlPlane: boolean },
): Promise<{ pending: number; enqueued: number }> {
  const pending = await unsettledCertificates(prisma, SCAN_LIMIT);
  const requests = pending.map((cert) => ({
    job: cert.status === 'ORPHANED' ? JOBS.cleanOrphanCertificate.name : JOBS.revokeCertificate.name,
    certificateRowId: cert.id,
  }));
  const enqueued = await enqueueMaintenance(queue, requests, {
    replaceFinished: (job: Job, state: string) =>
      options.hasControlPlane &&
      state === 'failed' &&
      job.failedReason?.startsWith('ControlPlaneUnavailable'),
  });
  return { pending: pending.length, enqueued };
}
