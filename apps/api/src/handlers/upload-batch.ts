import type { Request } from 'express';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import type { UploadBatchQuery } from '../schemas/batch.js';
import { uploadBatch, uploadFormat } from '../services/batch-upload.js';

export async function uploadBatchHandler(
  ctx: HandlerContext,
  query: UploadBatchQuery,
  req: Request,
): Promise<HandlerResult> {
  const format = uploadFormat(req.headers['content-type']);
  const body = await uploadBatch(ctx, query, format, req);
  return { status: 202, body, headers: { Location: `/v1/batches/${body.id}` } };
}
