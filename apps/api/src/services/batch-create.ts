import { createDevices } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import type { CreateBatchBody } from '../schemas/batch.js';
import { audit } from './audit.js';
import { enqueueOrFail, queuedDevicesOf } from './enqueue.js';
import {
  findIdempotentAnswer,
  requestHash,
  storeIdempotentAnswer,
  type StoredAnswer,
} from './idempotency.js';
import { checkTemplate } from './templates.js';
import { keyAlgorithmToDb, modeToDb, payloadFormatToDb } from './wire-enums.js';

const INSERT_CHUNK = 5_000;
const MAX_LISTED = 10_000;

export function duplicateSerials(devices: readonly { serial: string }[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { serial } of devices) (seen.has(serial) ? duplicates : seen).add(serial);
  return [...duplicates];
}

export type CreateBatchOutcome = { answer: StoredAnswer; replayed: boolean };

/**
 * One transaction: idempotency lock and lookup, batch row, devices in chunks, audit event, stored answer.
 * The enqueue runs after the commit (see enqueueOrFail for the recovery when it fails).
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

  const result = await deps.prisma.$transaction(
    async (tx) => {
      if (idempotencyKey) {
        const stored = await findIdempotentAnswer(
          tx,
          principal.keyId,
          idempotencyKey,
          hash,
          deps.config.API_IDEMPOTENCY_TTL_SECONDS,
        );
        if (stored)
          return { answer: stored, replayed: true, inserted: [] as { id: string; serial: string }[] };
      }
      const batch = await tx.batch.create({
        data: {
          externalRef: body.externalRef,
          templateName: body.templateName,
          templateParameters: body.templateParameters ?? {},
          payloadFormat: payloadFormatToDb[body.payloadFormat],
          mode: modeToDb[body.mode],
          keyAlgorithm: keyAlgorithmToDb[body.keyAlgorithm ?? 'ec-p256'],
          priority,
          requestedByKeyId: principal.keyId,
        },
      });
      const inserted: { id: string; serial: string }[] = [];
      for (let start = 0; start < body.devices.length; start += INSERT_CHUNK) {
        inserted.push(
          ...(await createDevices(
            tx,
            batch.id,
            body.devices.slice(start, start + INSERT_CHUNK),
            awaitingCsr,
          )),
        );
      }
      const insertedSerials = new Set(inserted.map((d) => d.serial));
      const existing =
        inserted.length === body.devices.length
          ? []
          : body.devices.map((d) => d.serial).filter((s) => !insertedSerials.has(s));
      if (existing.length > 0 && !body.skipExisting) {
        throw new AppError(
          'SERIALS_EXIST',
          `${existing.length} serial number(s) already exist; send skipExisting: true to skip them`,
          {
            serials: existing.slice(0, MAX_LISTED),
            count: existing.length,
          },
        );
      }
      const answer: StoredAnswer = {
        status: 202,
        body: {
          id: batch.id,
          externalRef: batch.externalRef,
          requested: body.devices.length,
          created: inserted.length,
          skipped: existing.length,
          skippedSerials: existing.slice(0, MAX_LISTED),
          enqueued: awaitingCsr ? 0 : inserted.length,
        },
      };
      await audit(tx, ctx, {
        action: 'batch.create',
        batchId: batch.id,
        details: {
          externalRef: body.externalRef,
          requested: body.devices.length,
          created: inserted.length,
          skipped: existing.length,
        },
      });
      if (idempotencyKey) await storeIdempotentAnswer(tx, principal.keyId, idempotencyKey, hash, answer);
      return { answer, replayed: false, inserted };
    },
    { maxWait: 10_000, timeout: 120_000 },
  );

  const batchId = (result.answer.body as { id: string }).id;
  if (result.replayed) {
    // A replay also repairs a first attempt whose enqueue failed after the commit: same job ids, no duplicates.
    if (result.answer.status === 202)
      await enqueueOrFail(deps, await queuedDevicesOf(deps.prisma, batchId), priority, batchId);
    return { answer: result.answer, replayed: true };
  }
  if (awaitingCsr) return { answer: result.answer, replayed: false };
  await enqueueOrFail(
    deps,
    result.inserted.map((d) => ({ deviceId: d.id, serial: d.serial, generation: 0 })),
    priority,
    batchId,
  );
  return { answer: result.answer, replayed: false };
}
