import { randomUUID } from 'node:crypto';
import type { Prisma, RawSql } from '@claimline/db';
import { TRANSITIONS, fromStates } from './device-states.js';

/** A unit as the queue needs it: id, serial and the job generation. */
export type QueuedUnit = { id: string; serial: string; provision_generation: number };

/** QUEUED (create), or AWAITING_CSR for a device-csr batch (createAwaitingCsr: no job until the unit's CSR). */
const insertDevices = (awaitingCsr: boolean) => {
  const state = TRANSITIONS[awaitingCsr ? 'createAwaitingCsr' : 'create'].to;
  return `INSERT INTO device (id, serial, batch_id, parameters, state, updated_at)
     SELECT u.id, u.serial, $1::uuid, u.parameters::jsonb, '${state}'::"DeviceState", now()
     FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(id, serial, parameters)
     ON CONFLICT (serial) DO NOTHING
     RETURNING id::text AS id, serial`;
};

const insertValues = (batchId: string, chunk: readonly { serial: string; parameters?: object }[]) => [
  batchId,
  chunk.map(() => randomUUID()),
  chunk.map((d) => d.serial),
  chunk.map((d) => JSON.stringify(d.parameters ?? {})),
];

/**
 * New units of a batch, one statement per chunk, on a raw transaction (`withRawTransaction`): a JSON
 * body's or a streamed upload's units; serials that exist already are skipped.
 */
export async function createDevicesRaw(
  sql: RawSql,
  batchId: string,
  chunk: readonly { serial: string; parameters?: object }[],
  awaitingCsr = false,
): Promise<{ id: string; serial: string }[]> {
  return sql<{ id: string; serial: string }>(insertDevices(awaitingCsr), insertValues(batchId, chunk));
}

/** cancel: the batch's QUEUED units → CANCELLED, in one statement. */
export async function cancelQueuedDevices(
  tx: Prisma.TransactionClient,
  batchId: string,
): Promise<QueuedUnit[]> {
  return tx.$queryRawUnsafe<QueuedUnit[]>(
    `UPDATE device SET state = 'CANCELLED', cancelled_at = now(), updated_at = now()
      WHERE batch_id = $1::uuid AND state = ANY($2::text[]::"DeviceState"[]) RETURNING id::text AS id, serial, provision_generation`,
    batchId,
    fromStates('cancel'),
  );
}

/** retry: the batch's FAILED units → QUEUED with the next job generation, errors cleared. */
export async function requeueFailedDevices(
  tx: Prisma.TransactionClient,
  batchId: string,
): Promise<QueuedUnit[]> {
  return tx.$queryRawUnsafe<QueuedUnit[]>(
    `UPDATE device SET state = 'QUEUED', queued_at = now(), updated_at = now(), attempts = 0,
            provision_generation = provision_generation + 1,
            last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL
      WHERE batch_id = $1::uuid AND state = ANY($2::text[]::"DeviceState"[]) RETURNING id::text AS id, serial, provision_generation`,
    batchId,
    fromStates('retry'),
  );
}
