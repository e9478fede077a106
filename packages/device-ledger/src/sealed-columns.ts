import type { Certificate } from '@claimline/db';

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
