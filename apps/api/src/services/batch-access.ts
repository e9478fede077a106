import type { Batch, Prisma, PrismaClient } from '@claimline/db';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext } from '../http/route.js';
import { findBatch } from './batch-view.js';

/** Roles that see every batch; any other key sees only the batches it created. */
const SEE_ALL = new Set(['ADMIN', 'VIEWER']);

/** Whom the batch belongs to: the key that created it (ADMIN and VIEWER see all). */
export function canSeeBatch(ctx: HandlerContext, batch: Pick<Batch, 'requestedByKeyId'>): boolean {
  return SEE_ALL.has(ctx.principal.role) || batch.requestedByKeyId === ctx.principal.keyId;
}

/** A batch another MES key created answers 404, as if it did not exist (its id says nothing then). */
export function assertBatchVisible(ctx: HandlerContext, batch: Batch): void {
  if (!canSeeBatch(ctx, batch)) throw new AppError('BATCH_NOT_FOUND', `no batch ${batch.id}`);
}

export async function findVisibleBatch(
  ctx: HandlerContext,
  db: PrismaClient | Prisma.TransactionClient,
  id: string,
): Promise<Batch> {
  const batch = await findBatch(db, id);
  assertBatchVisible(ctx, batch);
  return batch;
}

/** The `where` that limits a batch listing to what the caller may see. */
export function visibleBatches(ctx: HandlerContext): Prisma.BatchWhereInput {
  return SEE_ALL.has(ctx.principal.role) ? {} : { requestedByKeyId: ctx.principal.keyId };
}
