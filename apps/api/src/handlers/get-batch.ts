import type { HandlerContext, HandlerResult } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findVisibleBatch } from '../services/batch-access.js';
import { toBatchDetail } from '../services/batch-view.js';

export async function getBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  return { status: 200, body: toBatchDetail(batch, await batchProgress(ctx.deps.prisma, batch)) };
}
