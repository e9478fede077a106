import type { Queue } from 'bullmq';
import type { ControlPlane } from '@claimline/aws-control-plane';
import type { PrismaClient } from '@claimline/db';
import { appendAudit, type Actor } from '@claimline/device-ledger';
import type { Logger } from '@claimline/logger';
import { applySafeFixes, reconcile } from '@claimline/reconcile';

/**
 * One scheduled reconcile run (docs/operations.md, "Reconcile"): the report of every unit, its counts
 * logged and audited (`reconcile.report`, actor the worker), and with `fix` the safe fixes enqueued on
 * the maintenance queue. The caller runs it under a Redis lock: one run at a time across all workers.
 */
export async function runScheduledReconcile(deps: {
  prisma: PrismaClient;
  controlPlane: ControlPlane;
  maintenanceQueue: Queue;
  who: Actor;
  fix: boolean;
  logger: Logger;
}): Promise<{ findings: number; enqueued: number }> {
  const report = await reconcile(deps.prisma, deps.controlPlane);
  const fixes = deps.fix ? await applySafeFixes(deps.prisma, deps.maintenanceQueue, report) : undefined;
  await appendAudit(deps.prisma, deps.who, [
    {
      action: 'reconcile.report',
      details: {
        scheduled: true,
        units: report.units,
        findings: report.findings.length,
        counts: report.counts,
        ...(fixes ? { fixable: fixes.fixable, enqueued: fixes.enqueued } : {}),
      },
    },
  ]);
  const log =
    report.findings.length > 0 ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log(
    { units: report.units, counts: report.counts, awsCallsPerUnit: report.awsCalls.perUnit, fixes },
    'scheduled reconcile',
  );
  return { findings: report.findings.length, enqueued: fixes?.enqueued ?? 0 };
}
