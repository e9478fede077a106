import { createHash } from 'node:crypto';
import type { PrismaClient, RawSql } from '@claimline/db';
import type { Logger } from '@claimline/logger';
import { AppError } from '../errors/app-error.js';
import { startPeriodicSweep, type Sweep } from './periodic-sweep.js';

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
 * Inside the caller's transaction (raw, `withRawTransaction`): takes a lock on (key id, idempotency
 * key) so that concurrent retries wait for the first, then returns the stored answer, or undefined if
 * this is the first try. A record older than `ttlSeconds` is deleted here, so expiry does not depend
 * on when the sweep runs.
 */
export async function findIdempotentAnswer(
  sql: RawSql,
  apiKeyId: string,
  key: string,
  hash: string,
  ttlSeconds: number,
): Promise<StoredAnswer | undefined> {
  await sql('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${apiKeyId}:${key}`]);
  await sql(
    `DELETE FROM idempotency_record
      WHERE api_key_id = $1::uuid AND key = $2 AND created_at <= now() - make_interval(secs => $3::double precision)`,
    [apiKeyId, key, ttlSeconds],
  );
  const [record] = await sql<{ request_hash: string; response_status: number; response_body: unknown }>(
    `SELECT request_hash, response_status, response_body FROM idempotency_record
      WHERE api_key_id = $1::uuid AND key = $2`,
    [apiKeyId, key],
  );
  if (!record) return undefined;
  if (record.request_hash !== hash) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was first used with a different request body',
    );
  }
  return { status: record.response_status, body: record.response_body };
}

export async function storeIdempotentAnswer(
  sql: RawSql,
  apiKeyId: string,
  key: string,
  hash: string,
  answer: StoredAnswer,
): Promise<void> {
  await sql(
    `INSERT INTO idempotency_record (api_key_id, key, request_hash, response_status, response_body)
     VALUES ($1::uuid, $2, $3, $4, $5::jsonb)`,
    [apiKeyId, key, hash, answer.status, JSON.stringify(answer.body)],
  );
}

/** Deletes every record older than `ttlSeconds`; returns how many. */
export async function deleteExpiredIdempotencyRecords(db: PrismaClient, ttlSeconds: number): Promise<number> {
  return db.$executeRawUnsafe(
    'DELETE FROM idempotency_record WHERE created_at <= now() - make_interval(secs => $1::double precision)',
    ttlSeconds,
  );
}

/**
 * Idempotency records expire after `API_IDEMPOTENCY_TTL_SECONDS`; this timer deletes them. The delete
 * scans `created_at`, which has no index: fine at the rate records are written (one per idempotent POST),
 * an index on `idempotency_record (created_at)` would be the migration to add if the table grows large.
 */
export function startIdempotencySweep(
  prisma: PrismaClient,
  logger: Logger,
  ttlSeconds: number,
  intervalSeconds: number,
): Sweep {
  return startPeriodicSweep(logger, { intervalSeconds, name: 'idempotency record', done: 'deleted' }, () =>
    deleteExpiredIdempotencyRecords(prisma, ttlSeconds),
  );
}
