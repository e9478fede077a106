import { randomUUID } from 'node:crypto';
import { withRawTransaction, type RawSql } from '@claimline/db';
import { createDevicesRaw } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { enqueueOrFail, storedNotEnqueued } from './enqueue.js';
import { keyAlgorithmToDb, modeToDb, payloadFormatToDb } from './wire-enums.js';

/**
 * The one owner of "store a batch's units and enqueue them", for both ways a batch arrives (a JSON
 * body, a streamed upload): on a raw transaction (`withRawTransaction`), units inserted a chunk at a
 * time, then enqueued from the database a page at a time after the commit. Memory stays at one
 * chunk: Prisma's raw queries left ~1.5 KB of garbage a row, and keeping every inserted row for the
 * enqueue held the whole batch twice (docs/benchmarks.md, issue 15 item 2).
 */

/** Units per INSERT statement (a larger chunk only grows the garbage between collections). */
export const UNIT_CHUNK = 1_000;
/** Devices read back and enqueued at a time: the jobs package's addBulk chunk. */
const ENQUEUE_PAGE = 1_000;

type Parameters = Record<string, string | number | boolean>;
export type Unit = { serial: string; parameters?: Parameters };

export type BatchRow = {
  externalRef: string;
  templateName: string;
  templateParameters?: Parameters;
  payloadFormat: keyof typeof payloadFormatToDb;
  mode: keyof typeof modeToDb;
  keyAlgorithm?: keyof typeof keyAlgorithmToDb;
  priority: number;
};

/** Inserts the batch row for the calling key; returns its id. */
export async function insertBatch(sql: RawSql, ctx: HandlerContext, batch: BatchRow): Promise<string> {
  const batchId = randomUUID();
  await sql(
    `INSERT INTO batch (id, external_ref, template_name, template_parameters, payload_format, mode,
                        key_algorithm, priority, requested_by_key_id)
     VALUES ($1::uuid, $2, $3, $4::jsonb, $5::"PayloadFormat", $6::"ClaimMode", $7::"KeyAlgorithm", $8, $9::uuid)`,
    [
      batchId,
      batch.externalRef,
      batch.templateName,
      JSON.stringify(batch.templateParameters ?? {}),
      payloadFormatToDb[batch.payloadFormat],
      modeToDb[batch.mode],
      keyAlgorithmToDb[batch.keyAlgorithm ?? 'ec-p256'],
      batch.priority,
      ctx.principal.keyId,
    ],
  );
  return batchId;
}

/** What one chunk's insert left out: serials this batch already holds, and serials of other batches. */
export type ChunkConflicts = { repeated: string[]; existing: string[] };

/**
 * A batch's units, written chunk by chunk (each ≤ UNIT_CHUNK) on the batch's raw transaction. Counts
 * what it created and remembers the serials that existed in other batches (the first `listLimit` of
 * them, and how many); refusing them or skipping them is the caller's decision.
 */
export class BatchUnitWriter {
  created = 0;
  existingCount = 0;
  readonly existingListed: string[] = [];

  constructor(
    private readonly sql: RawSql,
    readonly batchId: string,
    private readonly awaitingCsr: boolean,
    private readonly listLimit: number,
  ) {}

  async write(chunk: readonly Unit[]): Promise<ChunkConflicts> {
    const inserted = await createDevicesRaw(this.sql, this.batchId, chunk, this.awaitingCsr);
    this.created += inserted.length;
    if (inserted.length === chunk.length) return { repeated: [], existing: [] };
    const done = new Set(inserted.map((d) => d.serial));
    const rest = chunk.map((d) => d.serial).filter((s) => !done.has(s));
    const mine = await this.sql<{ serial: string }>(
      'SELECT serial FROM device WHERE batch_id = $1::uuid AND serial = ANY($2::text[])',
      [this.batchId, rest],
    );
    // Inserted by an earlier chunk of this batch: listed twice in it.
    if (mine.length > 0) return { repeated: mine.map((d) => d.serial), existing: [] };
    this.existingCount += rest.length;
    const room = Math.max(0, this.listLimit - this.existingListed.length);
    this.existingListed.push(...rest.slice(0, room));
    return { repeated: [], existing: rest };
  }
}

/**
 * Enqueues the batch's QUEUED devices at their current generation a page at a time, read with pg
 * through a cursor (one scan of the batch's index entries, however many pages; a keyset query per page
 * sorted the batch's rows again each time, quadratic in the batch's size). One page in memory at a
 * time. Returns how many devices were QUEUED and how many jobs were added (a job id the queue already
 * holds is not counted: a requeue or a replay that repairs a failed enqueue). Used after a batch's
 * commit (`enqueueStoredUnits`) and by the requeue action.
 */
export function enqueueQueuedUnits(
  ctx: HandlerContext,
  batchId: string,
  priority: number,
): Promise<{ queued: number; enqueued: number }> {
  return withRawTransaction(ctx.deps.prisma, (sql) => enqueueFromCursor(ctx, sql, batchId, priority));
}

/** After the commit: `enqueueQueuedUnits`; reading the units back failing is a failed enqueue too. */
export async function enqueueStoredUnits(
  ctx: HandlerContext,
  batchId: string,
  priority: number,
): Promise<number> {
  try {
    return (await enqueueQueuedUnits(ctx, batchId, priority)).enqueued;
  } catch (error) {
    // Reading the units back failed after their commit: the same answer as a failed enqueue.
    if (error instanceof AppError) throw error;
    throw storedNotEnqueued(ctx.deps, batchId, error);
  }
}

async function enqueueFromCursor(ctx: HandlerContext, sql: RawSql, batchId: string, priority: number) {
  await sql(
    `DECLARE queued_units NO SCROLL CURSOR FOR
       SELECT id::text AS id, serial, provision_generation FROM device
        WHERE batch_id = $1::uuid AND state = 'QUEUED'`,
    [batchId],
  );
  let queued = 0;
  let enqueued = 0;
  for (;;) {
    const rows = await sql<{ id: string; serial: string; provision_generation: number }>(
      `FETCH ${ENQUEUE_PAGE} FROM queued_units`,
      [],
    );
    if (rows.length === 0) return { queued, enqueued };
    queued += rows.length;
    enqueued += await enqueueOrFail(
      ctx.deps,
      rows.map((r) => ({ deviceId: r.id, serial: r.serial, generation: r.provision_generation })),
      priority,
      batchId,
    );
  }
}
