import { rawSqlOf, type Prisma, type PrismaClient, type RawSql } from '@claimline/db';
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

/** One audit event on a raw transaction (`withRawTransaction`). */
export async function appendAuditRaw(sql: RawSql, who: Actor, entry: AuditEntry): Promise<void> {
  await sql(
    `INSERT INTO audit_event (actor, origin, action, batch_id, device_id, details)
     VALUES ($1, $2, $3, $4::uuid, $5::uuid, $6::jsonb)`,
    [
      who.actor,
      who.origin,
      entry.action,
      entry.batchId ?? null,
      entry.deviceId ?? null,
      entry.details === undefined ? null : JSON.stringify(entry.details),
    ],
  );
}

/**
 * Many audit events of one actor in one statement on the client's own pg pool (rawSqlOf): for the
 * batched audit of plain reads, where a thousand rows through Prisma's `createMany` held the event
 * loop long enough to show in the reads' p99.
 */
export async function appendAuditBulk(
  client: PrismaClient,
  who: Actor,
  entries: readonly AuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await rawSqlOf(client)(
    `INSERT INTO audit_event (actor, origin, action, batch_id, device_id, details)
     SELECT $1, $2, e.action, e.batch_id::uuid, e.device_id::uuid, e.details::jsonb
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS e(action, batch_id, device_id, details)`,
    [
      who.actor,
      who.origin,
      entries.map((e) => e.action),
      entries.map((e) => e.batchId ?? null),
      entries.map((e) => e.deviceId ?? null),
      entries.map((e) => (e.details === undefined ? null : JSON.stringify(e.details))),
    ],
  );
}
