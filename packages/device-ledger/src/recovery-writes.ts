import type { PrismaClient } from '@claimline/db';
import type { Actor } from './audit-log.js';
import { IN_FLIGHT } from './device-states.js';
import type { QueuedUnit } from './batch-writes.js';

/**
 * A stuck unit back in the queue: in flight, no attempt holding it, and no job left to run it (its
 * job was lost, or failed without the unit being marked). The unit keeps its state and certificates,
 * so the next attempt resumes exactly where the last one stopped: a REGISTERING certificate is
 * resolved, never replaced (docs/worker.md). Only the job generation moves on, so the new job gets
 * an id the queue has not seen; the attempt counter (the fence) is left alone, so a forgotten run of
 * the old job can never pass for the new one.
 */
export type StuckUnit = { id: string; generation: number };

export type RequeueReason = 'sweeper' | 'admin';

/**
 * One guarded statement: the unit moves to the next generation only if it is still in flight, at the
 * generation the caller observed, and (when `lapsedBefore` is given) its lease lapsed before then
 * (a QUEUED unit: queued before then). Audited as `device.requeued`. Null when it changed meanwhile.
 */
export async function requeueStuckUnit(
  prisma: PrismaClient,
  who: Actor,
  unit: StuckUnit,
  options: { reason: RequeueReason; lapsedBefore: Date | null; jobState: string; at: Date },
): Promise<(QueuedUnit & { state: string }) | null> {
  const { lapsedBefore, at } = options;
  const rows = await prisma.$queryRaw<(QueuedUnit & { state: string; batch_id: string })[]>`
    WITH moved AS (
      UPDATE device
      SET provision_generation = provision_generation + 1, claiming_at = NULL, updated_at = ${at}
      WHERE id = ${unit.id}::uuid AND provision_generation = ${unit.generation}
        AND state = ANY(${[...IN_FLIGHT]}::text[]::"DeviceState"[])
        AND (${lapsedBefore}::timestamp(3) IS NULL
          OR (state = 'QUEUED' AND queued_at < ${lapsedBefore}::timestamp(3))
          OR (state <> 'QUEUED' AND (claiming_at IS NULL OR claiming_at < ${lapsedBefore}::timestamp(3))))
      RETURNING id, serial, provision_generation, state, batch_id
    ), audited AS (
      INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
      SELECT ${who.actor}, ${who.origin}, 'device.requeued', id, batch_id,
        jsonb_build_object('reason', ${options.reason}::text, 'state', state::text,
          'fromGeneration', ${unit.generation}::int, 'generation', provision_generation,
          'previousJobState', ${options.jobState}::text),
        ${at}
      FROM moved
    )
    SELECT id::text AS id, serial, provision_generation, state::text AS state, batch_id::text AS batch_id FROM moved`;
  const row = rows[0];
  return row
    ? { id: row.id, serial: row.serial, provision_generation: row.provision_generation, state: row.state }
    : null;
}
