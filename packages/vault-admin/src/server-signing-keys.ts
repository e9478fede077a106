import type { PrismaClient } from '@claimline/db';
import { serverSigningKeyContext, VaultError, type SealedRecord, type Vault } from '@claimline/vault';

type Db = Pick<PrismaClient, '$queryRawUnsafe'>;

type ServerKeyRow = {
  id: string;
  purpose: string;
  fingerprint: string;
  ciphertext: Uint8Array;
  wrapped_key: Uint8Array;
  kek_id: string;
  algorithm: string;
};

/** Server signing keys (the API's bundle key, `server_signing_key`) per KEK. */
export async function serverSigningKeysPerKek(prisma: Db): Promise<Map<string, number>> {
  const rows = await prisma.$queryRawUnsafe<{ kek_id: string; n: number }[]>(
    `SELECT private_key_kek_id AS kek_id, count(*)::int AS n FROM server_signing_key GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.kek_id, row.n]));
}

export type ServerKeyRewrap =
  | { outcome: 'rewrapped'; fromKekId: string }
  | { outcome: 'changed-meanwhile' }
  | { outcome: 'failed'; purpose: string; fromKekId: string; code: string; message: string };

/**
 * Re-wraps each server signing key not under the active KEK (a handful of rows: one per purpose).
 * The write is guarded by the old kek id and wrapped key, as the certificate rows' are, so a key
 * re-wrapped by a concurrent run keeps that value. A KMS outage (retryable) stops the run.
 */
export async function rewrapServerSigningKeys(
  prisma: Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>,
  vault: Vault,
  activeKekId: string,
): Promise<ServerKeyRewrap[]> {
  const rows = await prisma.$queryRawUnsafe<ServerKeyRow[]>(
    `SELECT id, purpose, fingerprint, private_key_ciphertext AS ciphertext,
            private_key_wrapped_key AS wrapped_key, private_key_kek_id AS kek_id,
            private_key_algorithm AS algorithm
     FROM server_signing_key WHERE private_key_kek_id <> $1 ORDER BY purpose`,
    activeKekId,
  );
  const results: ServerKeyRewrap[] = [];
  for (const row of rows) {
    const sealed: SealedRecord = {
      ciphertext: Buffer.from(row.ciphertext),
      wrappedKey: Buffer.from(row.wrapped_key),
      kekId: row.kek_id,
      algorithm: row.algorithm,
    };
    let record: SealedRecord;
    try {
      record = await vault.rewrap(sealed, serverSigningKeyContext(row.fingerprint));
    } catch (error) {
      if (!(error instanceof VaultError) || error.retryable) throw error;
      results.push({
        outcome: 'failed',
        purpose: row.purpose,
        fromKekId: row.kek_id,
        code: error.code,
        message: error.message,
      });
      continue;
    }
    const written = await prisma.$executeRawUnsafe(
      `UPDATE server_signing_key SET private_key_kek_id = $1, private_key_wrapped_key = $2
       WHERE id = $3::uuid AND private_key_kek_id = $4 AND private_key_wrapped_key = $5`,
      record.kekId,
      record.wrappedKey,
      row.id,
      row.kek_id,
      Buffer.from(row.wrapped_key),
    );
    results.push(
      written === 1 ? { outcome: 'rewrapped', fromKekId: row.kek_id } : { outcome: 'changed-meanwhile' },
    );
  }
  return results;
}
