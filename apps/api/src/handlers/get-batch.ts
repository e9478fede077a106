import type { HandlerContext, HandlerResult } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findBatch, toBatchSummary } from '../services/batch-view.js';

export async function getBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  const batch = await findBatch(ctx.deps.prisma, id);
  const progress = await batchProgress(ctx.deps.prisma, batch);
  const summary = toBatchSummary(
    progress.finished && !batch.finishedAt ? { ...batch, finishedAt: new Date() } : batch,
  );
  return { status: 200, body: { ...summary, progress } };
}
