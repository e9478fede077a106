import type { HandlerContext, HandlerResult } from '../http/route.js';
import type { BatchState } from '../services/batch-view.js';
import { toBatchSummary, whereState } from '../services/batch-view.js';
import { visibleBatches } from '../services/batch-access.js';

export type ListBatchesInput = { page: number; limit: number; state?: BatchState; externalRef?: string };

export async function listBatchesHandler(ctx: HandlerContext, q: ListBatchesInput): Promise<HandlerResult> {
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
  return { status: 200, body: { items: rows.map(toBatchSummary), page: q.page, limit: q.limit, total } };
}
