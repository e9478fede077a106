import type { Response } from 'express';
import { ControlPlaneError } from '@claimline/aws-control-plane';
import { reconcile, reportToCsv, type ReconcileReport } from '@claimline/reconcile';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import { audit } from '../services/audit.js';
import { findBatch } from '../services/batch-view.js';

/**
 * The read-only reconcile report (every unit, or one batch's) against the configured control plane.
 * Its calls count against the same per-operation quotas as the workers'. Fixes (`--fix`) do not exist yet.
 */
export async function reconcileHandler(
  ctx: HandlerContext,
  query: { batchId?: string; format?: 'json' | 'csv' },
  res: Response,
): Promise<HandlerResult | void> {
  const aws = ctx.deps.controlPlane;
  if (!aws)
    throw new AppError(
      'CONTROL_PLANE_UNAVAILABLE',
      'no control plane is configured (CONTROL_PLANE=off, or no emulator client file): nothing to reconcile with',
    );
  if (query.batchId) await findBatch(ctx.deps.prisma, query.batchId);
  let report: ReconcileReport;
  try {
    report = await reconcile(ctx.deps.prisma, aws, query.batchId ? { batchId: query.batchId } : {});
  } catch (error) {
    if (!(error instanceof ControlPlaneError)) throw error;
    throw new AppError(
      'CONTROL_PLANE_UNAVAILABLE',
      `the control plane failed (${error.operation}: ${error.awsCode})`,
      { kind: error.kind, retryable: error.retryable },
    );
  }
  const format = query.format ?? 'json';
  await audit(ctx.deps.prisma, ctx, {
    action: 'reconcile.report',
    batchId: query.batchId ?? null,
    details: { format, units: report.units, findings: report.findings.length, counts: report.counts },
  });
  if (format === 'json') return { status: 200, body: report };
  res.status(200).type('text/csv; charset=utf-8').send(reportToCsv(report));
}
