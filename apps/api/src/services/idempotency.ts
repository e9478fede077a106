import { createHash } from 'node:crypto';
import type { Prisma } from '@claimline/db';
import { AppError } from '../errors/app-error.js';

/** JSON with object keys sorted, so that key order does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export type StoredAnswer = { status: number; body: unknown };

/**
 * Inside the caller's transaction: takes a lock on (key id, idempotency key) so that concurrent
 * retries wait for the first, then returns the stored answer, or undefined if this is the first try.
 */
export async function findIdempotentAnswer(
  tx: Prisma.TransactionClient,
  apiKeyId: string,
  key: string,
  hash: string,
): Promise<StoredAnswer | undefined> {
  await tx.$queryRawUnsafe(
    'SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l',
    `${apiKeyId}:${key}`,
  );
  const record = await tx.idempotencyRecord.findUnique({ where: { apiKeyId_key: { apiKeyId, key } } });
  if (!record) return undefined;
  if (record.requestHash !== hash) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was first used with a different request body',
    );
  }
  return { status: record.responseStatus, body: record.responseBody };
}

export async function storeIdempotentAnswer(
  tx: Prisma.TransactionClient,
  apiKeyId: string,
  key: string,
  hash: string,
  answer: StoredAnswer,
): Promise<void> {
  await tx.idempotencyRecord.create({
    data: {
      apiKeyId,
      key,
      requestHash: hash,
      responseStatus: answer.status,
      responseBody: answer.body as Prisma.InputJsonValue,
    },
  });
}
