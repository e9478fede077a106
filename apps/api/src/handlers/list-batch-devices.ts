import type { DeviceState } from '@claimline/db';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import { findVisibleBatch } from '../services/batch-access.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor is the last device id of the previous page, base64url-encoded: opaque to clients. */
export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) throw new AppError('INVALID_CURSOR', 'the cursor was not produced by this API');
  return id;
}

export const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

export type ListDevicesInput = { cursor?: string; limit: number; state?: DeviceState };

export async function listBatchDevicesHandler(
  ctx: HandlerContext,
  batchId: string,
  q: ListDevicesInput,
): Promise<HandlerResult> {
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  await findVisibleBatch(ctx, ctx.deps.prisma, batchId);
  const rows = await ctx.deps.prisma.device.findMany({
    where: { batchId, ...(q.state ? { state: q.state } : {}), ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: 'asc' },
    take: q.limit + 1,
    select: {
      id: true,
      serial: true,
      state: true,
      thingName: true,
      attempts: true,
      lastErrorCode: true,
      queuedAt: true,
      updatedAt: true,
    },
  });
  const page = rows.slice(0, q.limit);
  const items = page.map((d) => ({
    ...d,
    queuedAt: d.queuedAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  }));
  const nextCursor = rows.length > q.limit ? encodeCursor(page[page.length - 1]!.id) : null;
  return { status: 200, body: { items, nextCursor } };
}
