import type { Request, Response } from 'express';
import type { HandlerContext } from '../http/route.js';
import { batchProgress } from '../services/batch-progress.js';
import { findBatch } from '../services/batch-view.js';
import { findVisibleBatch } from '../services/batch-access.js';
import { openEventStream } from '../services/event-feeds.js';

/**
 * Server-Sent Events: a `progress` event at once, then one each time the counts change; `end` when the
 * batch is finished. One poller per batch (services/event-feeds.ts), streams limited per key.
 */
export async function batchEventsHandler(
  ctx: HandlerContext,
  id: string,
  req: Request,
  res: Response,
): Promise<void> {
  await findVisibleBatch(ctx, ctx.deps.prisma, id);
  openEventStream(ctx, req, res, {
    key: `batch:${id}`,
    read: async () => {
      const progress = await batchProgress(ctx.deps.prisma, await findBatch(ctx.deps.prisma, id));
      return {
        event: 'progress',
        data: progress,
        end: progress.finished ? { id, finished: true } : undefined,
      };
    },
  });
}
