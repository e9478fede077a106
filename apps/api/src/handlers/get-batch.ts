import type { HandlerContext, HandlerResult } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findVisibleBatch } from '../services/batch-access.js';
import { toBatchSummary } from '../services/batch-view.js';

export async function getBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  const progress = await batchProgress(ctx.deps.prisma, batch);
  const summary = toBatchSummary(
    progress.finished && !batch.finishedAt ? { ...batch, finishedAt: new Date() } : batch,
  );
  return { status: 200, body: { ...summary, progress } };
}
