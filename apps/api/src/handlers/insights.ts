import type { HandlerContext, HandlerResult } from '../http/route.js';
import { findVisibleBatch, visibleBatches } from '../services/batch-access.js';
import { batchFailures, batchThroughput } from '../services/batch-insights.js';
import { stationActivity } from '../services/station/station-activity.js';

export async function batchThroughputHandler(
  ctx: HandlerContext,
  id: string,
  bucketSeconds: number,
): Promise<HandlerResult> {
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  const buckets = await batchThroughput(ctx.deps.prisma, batch, bucketSeconds);
  return { status: 200, body: { batchId: id, bucketSeconds, buckets } };
}

export async function batchFailuresHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  return { status: 200, body: { batchId: id, ...(await batchFailures(ctx.deps.prisma, batch)) } };
}

export async function listStationsHandler(ctx: HandlerContext): Promise<HandlerResult> {
  return { status: 200, body: { items: await stationActivity(ctx.deps.prisma, visibleBatches(ctx)) } };
}
