import type { Queue } from 'bullmq';
import type { PrismaClient } from '@claimline/db';
import { enqueueMaintenance, JOBS, type MaintenanceJobName } from '@claimline/jobs';
import { FINDING_KINDS, type FindingKind } from './findings.js';
import type { ReconcileReport } from './reconcile.js';

/**
 * The safe fixes: the ones that only finish what the database already decided, through the
 * maintenance queue. A REVOKING or REVOKED certificate not revoked at AWS is revoked there; an orphan
 * ACTIVE at AWS is deactivated and deleted. Every other finding needs an operator's judgement (a thing
 * or an ACTIVE certificate changed at AWS by someone else, a principal claimline does not know, an
 * unknown registration outcome) and is left to them: reprovision, requeue, or AWS's console.
 */
export const SAFE_FIXES: Partial<Record<FindingKind, MaintenanceJobName>> = {
  REVOKED_NOT_REVOKED_AT_AWS: JOBS.revokeCertificate.name,
  REVOKE_UNCONFIRMED: JOBS.revokeCertificate.name,
  ORPHAN_ACTIVE_AT_AWS: JOBS.cleanOrphanCertificate.name,
};

export type FixSummary = {
  /** Findings with a safe fix, and the maintenance jobs added for them (a job already queued counts once). */
  fixable: number;
  enqueued: number;
  /** Findings left to an operator, per kind. */
  manual: Record<FindingKind, number>;
};

/** Enqueues the safe fixes of a report (a finished job of the same certificate is replaced: it runs again). */
export async function applySafeFixes(
  prisma: PrismaClient,
  maintenanceQueue: Queue,
  report: Pick<ReconcileReport, 'findings'>,
): Promise<FixSummary> {
  const manual = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, 0])) as Record<FindingKind, number>;
  const wanted = new Map<string, MaintenanceJobName>();
  for (const finding of report.findings) {
    const job = SAFE_FIXES[finding.kind];
    if (job && finding.certificateId) wanted.set(finding.certificateId.toLowerCase(), job);
    else manual[finding.kind] += 1;
  }
  const rows = await prisma.certificate.findMany({
    where: { certificateId: { in: [...wanted.keys()] } },
    select: { id: true, certificateId: true },
  });
  const requests = rows.flatMap((row) => {
    const job = wanted.get(row.certificateId.toLowerCase());
    return job ? [{ job, certificateRowId: row.id }] : [];
  });
  const enqueued = await enqueueMaintenance(maintenanceQueue, requests, { replaceFinished: true });
  return { fixable: wanted.size, enqueued, manual };
}
