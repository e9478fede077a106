import type { Response } from 'express';
import { ControlPlaneError } from '@claimline/aws-control-plane';
import { applySafeFixes, reconcile, reportToCsv, type ReconcileReport } from '@claimline/reconcile';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import { audit } from '../services/audit.js';
import { findBatch } from '../services/batch-view.js';

/** The report of every unit, or one batch's, against the configured control plane (503 without one). */
async function reportOf(ctx: HandlerContext, batchId: string | undefined): Promise<ReconcileReport> {
  const aws = ctx.deps.controlPlane;
  if (!aws)
    throw new AppError(
      'CONTROL_PLANE_UNAVAILABLE',
      'no control plane is configured (CONTROL_PLANE=off, or no emulator client file): nothing to reconcile with',
    );
  if (batchId) await findBatch(ctx.deps.prisma, batchId);
  try {
    return await reconcile(ctx.deps.prisma, aws, batchId ? { batchId } : {});
  } catch (error) {
    if (!(error instanceof ControlPlaneError)) throw error;
    throw new AppError(
      'CONTROL_PLANE_UNAVAILABLE',
      `the control plane failed (${error.operation}: ${error.awsCode})`,
      { kind: error.kind, retryable: error.retryable },
    );
  }
}

/**
 * The read-only reconcile report (every unit, or one batch's) against the configured control plane.
 * Its calls count against the same per-operation quotas as the workers'.
 */
export async function reconcileHandler(
  ctx: HandlerContext,
  query: { batchId?: string; format?: 'json' | 'csv' },
  res: Response,
): Promise<HandlerResult | void> {
  const report = await reportOf(ctx, query.batchId);
  const format = query.format ?? 'json';
  await audit(ctx.deps.prisma, ctx, {
    action: 'reconcile.report',
    batchId: query.batchId ?? null,
    details: { format, units: report.units, findings: report.findings.length, counts: report.counts },
  });
  if (format === 'json') return { status: 200, body: report };
  res.status(200).type('text/csv; charset=utf-8').send(reportToCsv(report));
}

/**
 * The report, then its safe fixes enqueued on the maintenance queue (the workers run them), as
 * `claimline-reconcile --fix` does. Audited as `reconcile.fix`.
 */
export async function reconcileFixHandler(
  ctx: HandlerContext,
  query: { batchId?: string },
): Promise<HandlerResult> {
  const report = await reportOf(ctx, query.batchId);
  let fixes;
  try {
    fixes = await applySafeFixes(ctx.deps.prisma, ctx.deps.queues.maintenance, report);
  } catch (error) {
    ctx.deps.logger.error({ err: error }, 'reconcile fixes not enqueued');
    throw new AppError('QUEUE_UNAVAILABLE', 'the safe fixes could not be enqueued (Redis); try again');
  }
  await audit(ctx.deps.prisma, ctx, {
    action: 'reconcile.fix',
    batchId: query.batchId ?? null,
    details: { units: report.units, findings: report.findings.length, counts: report.counts, ...fixes },
  });
  return { status: 200, body: { ...report, fixes } };
}
