import type { Prisma, PrismaClient } from '@claimline/db';
import type { HandlerContext } from '../http/route.js';
import { actorOf } from '../auth/principal.js';

type Db = PrismaClient | Prisma.TransactionClient;

export type AuditEntry = {
  action: string;
  batchId?: string | null;
  deviceId?: string | null;
  details?: Prisma.InputJsonValue;
};

/** Appends one audit event for the calling key. Details hold identifiers and counts, never secrets. */
export async function audit(db: Db, ctx: HandlerContext, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      actor: actorOf(ctx.principal),
      action: entry.action,
      batchId: entry.batchId ?? null,
      deviceId: entry.deviceId ?? null,
      origin: ctx.origin,
      ...(entry.details === undefined ? {} : { details: entry.details }),
    },
  });
}
