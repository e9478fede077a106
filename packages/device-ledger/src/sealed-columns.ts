import type { Certificate, PrismaClient } from '@claimline/db';

/**
 * A sealed secret as the vault produces it (structurally `@claimline/vault`'s SealedRecord) and how it
 * maps to a certificate row's column groups: `private_key_*` and `ownership_token_*`.
 */
export type Sealed = { ciphertext: Buffer; wrappedKey: Buffer; kekId: string; algorithm: string };

type Row = Pick<
  Certificate,
  | 'privateKeyCiphertext'
  | 'privateKeyWrappedKey'
  | 'privateKeyKekId'
  | 'privateKeyAlgorithm'
  | 'ownershipTokenCiphertext'
  | 'ownershipTokenWrappedKey'
  | 'ownershipTokenKekId'
  | 'ownershipTokenAlgorithm'
>;

function sealed(
  ciphertext: Uint8Array | null,
  wrappedKey: Uint8Array | null,
  kekId: string | null,
  algorithm: string | null,
): Sealed | null {
  if (!ciphertext || !wrappedKey || !kekId || !algorithm) return null;
  return { ciphertext: Buffer.from(ciphertext), wrappedKey: Buffer.from(wrappedKey), kekId, algorithm };
}

/** The sealed private key of a certificate row; null once shredded (or never held). */
export const sealedPrivateKeyOf = (row: Partial<Row>): Sealed | null =>
  sealed(
    row.privateKeyCiphertext ?? null,
    row.privateKeyWrappedKey ?? null,
    row.privateKeyKekId ?? null,
    row.privateKeyAlgorithm ?? null,
  );

/** The sealed ownership token of a certificate row; null once spent or shredded. */
export const sealedTokenOf = (row: Partial<Row>): Sealed | null =>
  sealed(
    row.ownershipTokenCiphertext ?? null,
    row.ownershipTokenWrappedKey ?? null,
    row.ownershipTokenKekId ?? null,
    row.ownershipTokenAlgorithm ?? null,
  );

/**
 * The certificate table's two sealed secrets, each stored as four columns (`<prefix>_ciphertext`,
 * `_wrapped_key`, `_kek_id`, `_algorithm`). A shredded secret keeps its kek id but has no wrapped key,
 * so only rows whose wrapped key is present count as using a key-encryption key.
 */
export type SealedColumns = {
  purpose: 'private-key' | 'ownership-token';
  prefix: 'private_key' | 'ownership_token';
};

export const SEALED_COLUMNS: readonly SealedColumns[] = [
  { purpose: 'private-key', prefix: 'private_key' },
  { purpose: 'ownership-token', prefix: 'ownership_token' },
];

/** A sealed secret's data key, wrapped again under another key-encryption key. */
export type Rewrap = {
  id: string;
  fromKekId: string;
  fromWrappedKey: Buffer;
  kekId: string;
  wrappedKey: Buffer;
};

/**
 * Key rotation's write: each row's wrapped data key and key id replaced, in one transaction, only where
 * the row still holds what was read (a row changed meanwhile keeps the newer value). Per row: 1 written,
 * 0 changed since.
 */
export async function rewrapSealed(
  prisma: PrismaClient,
  { prefix }: SealedColumns,
  rows: readonly Rewrap[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  return prisma.$transaction(
    rows.map((row) =>
      prisma.$executeRawUnsafe(
        `UPDATE certificate SET ${prefix}_wrapped_key = $1, ${prefix}_kek_id = $2
         WHERE id = $3::uuid AND ${prefix}_kek_id = $4 AND ${prefix}_wrapped_key = $5`,
        row.wrappedKey,
        row.kekId,
        row.id,
        row.fromKekId,
        row.fromWrappedKey,
      ),
    ),
  );
}
