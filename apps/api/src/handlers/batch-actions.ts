import type { HandlerContext, HandlerResult } from '../http/route.js';
import { cancelBatch, requeueBatch, retryBatch } from '../services/batch-actions.js';

export async function cancelBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  return { status: 200, body: await cancelBatch(ctx, id) };
}

export async function retryBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  return { status: 202, body: await retryBatch(ctx, id) };
}

export async function requeueBatchHandler(ctx: HandlerContext, id: string): Promise<HandlerResult> {
  return { status: 202, body: await requeueBatch(ctx, id) };
}
