import { withRawTransaction } from '@claimline/db';
import { appendAuditRaw } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import type { CreateBatchBody } from '../schemas/batch.js';
import { callerOf } from './audit.js';
import { BatchUnitWriter, enqueueStoredUnits, insertBatch, UNIT_CHUNK } from './batch-store.js';
import {
  findIdempotentAnswer,
  requestHash,
  storeIdempotentAnswer,
  type StoredAnswer,
} from './idempotency.js';
import { checkTemplate } from './templates.js';

const MAX_LISTED = 10_000;

export function duplicateSerials(devices: readonly { serial: string }[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { serial } of devices) (seen.has(serial) ? duplicates : seen).add(serial);
  return [...duplicates];
}

export type CreateBatchOutcome = { answer: StoredAnswer; replayed: boolean };

/**
 * One transaction (raw, `withRawTransaction`): idempotency lock and lookup, batch row, devices in
 * chunks, audit event, stored answer. The enqueue runs after the commit, page by page from the
 * database (batch-store.ts, shared with the streamed upload; see enqueueOrFail for the recovery when
 * it fails).
 */
export async function createBatch(
  ctx: HandlerContext,
  body: CreateBatchBody,
  idempotencyKey: string | undefined,
): Promise<CreateBatchOutcome> {
  const { deps, principal } = ctx;
  const duplicates = duplicateSerials(body.devices);
  if (duplicates.length > 0) {
    throw new AppError('DUPLICATE_SERIALS', `${duplicates.length} serial number(s) appear more than once`, {
      serials: duplicates.slice(0, MAX_LISTED),
      count: duplicates.length,
    });
  }
  checkTemplate(deps.config.API_ALLOWED_TEMPLATES, body.templateName, body.templateParameters, body.devices);
  const hash = idempotencyKey ? requestHash(body) : '';
  const priority = body.priority ?? 0;
  // device-csr: the units wait for their CSR (AWAITING_CSR); a station's CSR enqueues each one.
  const awaitingCsr = body.mode === 'device-csr';

  const result = await withRawTransaction(deps.prisma, async (sql) => {
    if (idempotencyKey) {
      const stored = await findIdempotentAnswer(
        sql,
        principal.keyId,
        idempotencyKey,
        hash,
        deps.config.API_IDEMPOTENCY_TTL_SECONDS,
      );
      if (stored) return { answer: stored, replayed: true };
    }
    const batchId = await insertBatch(sql, ctx, { ...body, priority });
    const units = new BatchUnitWriter(sql, batchId, awaitingCsr, MAX_LISTED);
    // No serial is repeated in the body (checked above), so a conflict is a serial of another batch.
    for (let start = 0; start < body.devices.length; start += UNIT_CHUNK)
      await units.write(body.devices.slice(start, start + UNIT_CHUNK));
    const { created, existingCount: skipped, existingListed: skippedSerials } = units;
    if (skipped > 0 && !body.skipExisting) {
      throw new AppError(
        'SERIALS_EXIST',
        `${skipped} serial number(s) already exist; send skipExisting: true to skip them`,
        { serials: skippedSerials, count: skipped },
      );
    }
    const answer: StoredAnswer = {
      status: 202,
      body: {
        id: batchId,
        externalRef: body.externalRef,
        requested: body.devices.length,
        created,
        skipped,
        skippedSerials,
        enqueued: awaitingCsr ? 0 : created,
      },
    };
    await appendAuditRaw(sql, callerOf(ctx), {
      action: 'batch.create',
      batchId,
      details: { externalRef: body.externalRef, requested: body.devices.length, created, skipped },
    });
    if (idempotencyKey) await storeIdempotentAnswer(sql, principal.keyId, idempotencyKey, hash, answer);
    return { answer, replayed: false };
  });

  const batchId = (result.answer.body as { id: string }).id;
  // A replay also repairs a first attempt whose enqueue failed after the commit: same job ids, no
  // duplicates. A device-csr batch's units are enqueued by their CSRs, not here.
  const enqueue = result.replayed ? result.answer.status === 202 : !awaitingCsr;
  if (enqueue) await enqueueStoredUnits(ctx, batchId, priority);
  return result;
}
