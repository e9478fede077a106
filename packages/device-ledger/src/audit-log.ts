import type { Prisma } from '@claimline/db';
import type { Db } from './db.js';

/** Who acts and from where: `apikey:<prefix>`, `worker:<host>-<pid>`, `station:<name>`, `system`. */
export type Actor = { actor: string; origin: string | null };

/** One audit event. Details hold identifiers and counts, never secrets. */
export type AuditEntry = {
  action: string;
  batchId?: string | null;
  deviceId?: string | null;
  details?: Prisma.InputJsonValue;
};

export const SYSTEM: Actor = { actor: 'system', origin: null };

/** Appends audit events (the table is append-only: the database refuses UPDATE and DELETE on it). */
export async function appendAudit(db: Db, who: Actor, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.auditEvent.createMany({
    data: entries.map((entry) => ({
      actor: who.actor,
      origin: who.origin,
      action: entry.action,
      batchId: entry.batchId ?? null,
      deviceId: entry.deviceId ?? null,
      ...(entry.details === undefined ? {} : { details: entry.details }),
    })),
  });
}
