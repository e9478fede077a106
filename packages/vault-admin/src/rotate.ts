import type { PrismaClient } from '@claimline/db';
import { VaultError, type Purpose, type SealedRecord, type Vault } from '@claimline/vault';
import { secretsNotUnder } from './kek-usage.js';
import { rewrapServerSigningKeys } from './server-signing-keys.js';
import { rewrapSealed, SEALED_COLUMNS, type SealedColumns } from '@claimline/device-ledger';

export type RotationProgress = {
  /** Secrets not under the active KEK when the run started. */
  total: number;
  /** Secrets handled so far: re-wrapped, changed by someone else meanwhile, or failed. */
  done: number;
  rewrapped: number;
  failed: number;
};

/**
 * A secret that could not be re-wrapped; it keeps its old KEK. Identifiers only, never key material.
 * For a server signing key, serial is "claimline-api" and certificateId names the key's purpose.
 */
export type RotationFailure = {
  certificateId: string;
  serial: string;
  purpose: Purpose;
  fromKekId: string;
  code: string;
  message: string;
};

export type RotationSummary = RotationProgress & {
  activeKekId: string;
  /** Secrets whose row changed between read and write (shredded, or re-wrapped by another run). */
  changedMeanwhile: number;
  /** Re-wrapped secrets by the KEK they came from. */
  fromKeks: Record<string, number>;
  failures: RotationFailure[];
  durationMs: number;
};

export type RotateOptions = {
  prisma: PrismaClient;
  vault: Vault;
  /** Secrets read, re-wrapped and written per transaction (default 100). */
  batchSize?: number;
  /** Re-wraps in flight at once within a batch: each is a KMS round trip with aws-kms (default 8). */
  concurrency?: number;
  /** Called after every committed batch, and once at the start. */
  onProgress?: (progress: RotationProgress) => void;
  /** Stops between batches; what is committed stays, a later run picks up the rest. */
  signal?: AbortSignal;
};

type SealedRow = {
  id: string;
  certificate_id: string;
  serial: string;
  ciphertext: Uint8Array;
  wrapped_key: Uint8Array;
  kek_id: string;
  algorithm: string;
};

type Rewrapped = { row: SealedRow; record: SealedRecord };

/**
 * Re-wraps every sealed secret of the `certificate` table that is not under the vault's active KEK,
 * then the API's server signing keys (`server_signing_key`).
 *
 * Resumable without a progress table: rows are picked by their kek id, so a row already under the
 * active KEK is never touched again, and a run killed half-way leaves every row either old (still
 * opens with the old KEK) or new (committed). Each write is guarded by the old kek id and wrapped key,
 * so a row changed meanwhile (shredded, or re-wrapped by a concurrent run) keeps its newer value.
 * A row that fails (corrupt, unknown KEK) is reported and skipped; a KMS outage stops the run.
 */
export async function rotateToActiveKek(options: RotateOptions): Promise<RotationSummary> {
  const { prisma, vault, signal } = options;
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 8;
  const started = Date.now();
  const activeKekId = await vault.resolveActiveKekId();
  const summary: RotationSummary = {
    activeKekId,
    total: await secretsNotUnder(prisma, activeKekId),
    done: 0,
    rewrapped: 0,
    failed: 0,
    changedMeanwhile: 0,
    fromKeks: {},
    failures: [],
    durationMs: 0,
  };
  const report = () =>
    options.onProgress?.({
      total: summary.total,
      done: summary.done,
      rewrapped: summary.rewrapped,
      failed: summary.failed,
    });
  report();

  for (const columns of SEALED_COLUMNS) {
    let after = '00000000-0000-0000-0000-000000000000';
    while (!signal?.aborted) {
      const rows = await readBatch(prisma, columns, activeKekId, after, batchSize);
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
      const rewrapped = await rewrapAll(vault, columns.purpose, rows, concurrency, summary);
      const written = await writeBatch(prisma, columns, rewrapped);
      for (const [index, { row }] of rewrapped.entries()) {
        if (written[index] === 1) {
          summary.rewrapped++;
          summary.fromKeks[row.kek_id] = (summary.fromKeks[row.kek_id] ?? 0) + 1;
        } else summary.changedMeanwhile++;
      }
      summary.done += rows.length;
      // Rows written by others since the count: never show more done than there was to do.
      summary.total = Math.max(summary.total, summary.done);
      report();
    }
  }
  const serverKeys = signal?.aborted ? [] : await rewrapServerSigningKeys(prisma, vault, activeKekId);
  if (serverKeys.length > 0) {
    for (const result of serverKeys) {
      summary.done++;
      if (result.outcome === 'rewrapped') {
        summary.rewrapped++;
        summary.fromKeks[result.fromKekId] = (summary.fromKeks[result.fromKekId] ?? 0) + 1;
      } else if (result.outcome === 'changed-meanwhile') summary.changedMeanwhile++;
      else {
        summary.failed++;
        summary.failures.push({
          certificateId: `server-signing-key:${result.purpose}`,
          serial: 'claimline-api',
          purpose: 'server-signing-key',
          fromKekId: result.fromKekId,
          code: result.code,
          message: result.message,
        });
      }
    }
    summary.total = Math.max(summary.total, summary.done);
    report();
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

function readBatch(
  prisma: PrismaClient,
  { prefix }: SealedColumns,
  activeKekId: string,
  after: string,
  limit: number,
): Promise<SealedRow[]> {
  return prisma.$queryRawUnsafe<SealedRow[]>(
    `SELECT c.id, c.certificate_id, d.serial,
            c.${prefix}_ciphertext AS ciphertext, c.${prefix}_wrapped_key AS wrapped_key,
            c.${prefix}_kek_id AS kek_id, c.${prefix}_algorithm AS algorithm
     FROM certificate c JOIN device d ON d.id = c.device_id
     WHERE c.${prefix}_wrapped_key IS NOT NULL AND c.${prefix}_kek_id <> $1 AND c.id > $2::uuid
     ORDER BY c.id LIMIT $3`,
    activeKekId,
    after,
    limit,
  );
}

async function rewrapAll(
  vault: Vault,
  purpose: Purpose,
  rows: SealedRow[],
  concurrency: number,
  summary: RotationSummary,
): Promise<Rewrapped[]> {
  const results: (Rewrapped | undefined)[] = new Array(rows.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < rows.length) {
      const index = next++;
      const row = rows[index]!;
      const context = { serial: row.serial, certificateId: row.certificate_id, purpose };
      const sealed: SealedRecord = {
        ciphertext: Buffer.from(row.ciphertext),
        wrappedKey: Buffer.from(row.wrapped_key),
        kekId: row.kek_id,
        algorithm: row.algorithm,
      };
      try {
        results[index] = { row, record: await vault.rewrap(sealed, context) };
      } catch (error) {
        // A KMS outage would fail every row alike: stop, and let a later run resume.
        if (!(error instanceof VaultError) || error.retryable) throw error;
        summary.failed++;
        summary.failures.push({
          certificateId: row.certificate_id,
          serial: row.serial,
          purpose,
          fromKekId: row.kek_id,
          code: error.code,
          message: error.message,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
  return results.filter((result): result is Rewrapped => result !== undefined);
}

/** One transaction per batch (the ledger's write); per row 1 when written, 0 when it changed since it was read. */
function writeBatch(prisma: PrismaClient, columns: SealedColumns, rewrapped: Rewrapped[]): Promise<number[]> {
  return rewrapSealed(
    prisma,
    columns,
    rewrapped.map(({ row, record }) => ({
      id: row.id,
      fromKekId: row.kek_id,
      fromWrappedKey: Buffer.from(row.wrapped_key),
      kekId: record.kekId,
      wrappedKey: record.wrappedKey,
    })),
  );
}
