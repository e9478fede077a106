import type { HandlerContext, HandlerResult } from '../http/route.js';
import type { CreateBatchBody } from '../schemas/batch.js';
import { createBatch } from '../services/batch-create.js';

export async function createBatchHandler(
  ctx: HandlerContext,
  body: CreateBatchBody,
  idempotencyKey: string | undefined,
): Promise<HandlerResult> {
  const { answer, replayed } = await createBatch(ctx, body, idempotencyKey);
  const id = (answer.body as { id?: string }).id;
  const headers: Record<string, string> = id ? { Location: `/v1/batches/${id}` } : {};
  if (replayed) headers['Idempotent-Replayed'] = 'true';
  return { status: answer.status, body: answer.body, headers };
}
