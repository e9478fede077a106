import type { Request, Response } from 'express';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import type { BatchState } from '../services/batch-view.js';
import { toBatchDetail, toBatchSummary, whereState } from '../services/batch-view.js';
import { visibleBatches } from '../services/batch-access.js';
import { batchesProgress } from '../services/batch-progress.js';
import { openEventStream } from '../services/event-feeds.js';

export type ListBatchesInput = { page: number; limit: number; state?: BatchState; externalRef?: string };

async function listBatches(ctx: HandlerContext, q: ListBatchesInput) {
  const where = {
    ...visibleBatches(ctx),
    ...whereState(q.state),
    ...(q.externalRef ? { externalRef: q.externalRef } : {}),
  };
  const [rows, total] = await Promise.all([
    ctx.deps.prisma.batch.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: (q.page - 1) * q.limit,
      take: q.limit,
    }),
    ctx.deps.prisma.batch.count({ where }),
  ]);
  return { rows, page: q.page, limit: q.limit, total };
}

export async function listBatchesHandler(ctx: HandlerContext, q: ListBatchesInput): Promise<HandlerResult> {
  const { rows, ...page } = await listBatches(ctx, q);
  return { status: 200, body: { items: rows.map(toBatchSummary), ...page } };
}

/**
 * Server-Sent Events for a whole batch list (same filters and paging as listBatches): a `batches` event
 * with every batch's progress at once, then each time anything in the list changes. One poller per
 * visible list and filter, whatever the number of listeners; never ends by itself.
 */
export async function listBatchEventsHandler(
  ctx: HandlerContext,
  q: ListBatchesInput,
  req: Request,
  res: Response,
): Promise<void> {
  const visibility = JSON.stringify(visibleBatches(ctx));
  const filter = JSON.stringify([q.page, q.limit, q.state ?? null, q.externalRef ?? null]);
  openEventStream(ctx, req, res, {
    key: `batches:${visibility}:${filter}`,
    read: async () => {
      const { rows, ...page } = await listBatches(ctx, q);
      const progress = await batchesProgress(ctx.deps.prisma, rows);
      const items = rows.map((batch) => toBatchDetail(batch, progress.get(batch.id)!));
      return { event: 'batches', data: { items, ...page } };
    },
  });
}
