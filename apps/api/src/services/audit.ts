import { appendAudit, type Actor, type AuditEntry, type Db } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { actorOf } from '../auth/principal.js';

export type { AuditEntry };

/** The calling key as the audit log names it. */
export const callerOf = (ctx: HandlerContext): Actor => ({
  actor: actorOf(ctx.principal),
  origin: ctx.origin,
});

/** Appends one audit event for the calling key. Details hold identifiers and counts, never secrets. */
export async function audit(db: Db, ctx: HandlerContext, entry: AuditEntry): Promise<void> {
  await appendAudit(db, callerOf(ctx), [entry]);
}
