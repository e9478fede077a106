import { VaultError } from './vault-error.js';

export const PURPOSES = ['private-key', 'ownership-token', 'server-signing-key'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** What a secret belongs to. Bound into every record as authenticated data, so rows cannot be swapped. */
export type RecordContext = { serial: string; certificateId: string; purpose: Purpose };

/** The four database columns of one secret (`private_key_*` or `ownership_token_*`). */
export type SealedRecord = {
  /** version byte ‖ 96-bit IV ‖ AES-256-GCM ciphertext ‖ 128-bit tag (see README). */
  ciphertext: Buffer;
  /** The record's data key, wrapped by the KEK named in `kekId`. */
  wrappedKey: Buffer;
  /** Provider-qualified KEK id: `local:<id>` or `aws-kms:<key ARN>`. */
  kekId: string;
  /** Format of `ciphertext` and of its authenticated data. */
  algorithm: string;
};

/**
 * The context of the API's bundle-signing key (`server_signing_key`): one per key, named by its public
 * key's fingerprint. The API seals and opens it with this context, and `claimline-vault rotate`
 * re-wraps it with the same one.
 */
export function serverSigningKeyContext(fingerprint: string): RecordContext {
  return {
    serial: 'claimline-api',
    certificateId: `bundle-signing-key:${fingerprint}`,
    purpose: 'server-signing-key',
  };
}

const MAX_FIELD_LENGTH = 256;

/** Validates at the edge: an empty serial would silently weaken the binding between row and secret. */
export function checkContext(context: RecordContext): RecordContext {
  const problems: string[] = [];
  for (const field of ['serial', 'certificateId'] as const) {
    const value: unknown = context?.[field];
    if (typeof value !== 'string' || value.length === 0) problems.push(`${field} must be a non-empty string`);
    else if (value.length > MAX_FIELD_LENGTH)
      problems.push(`${field} is longer than ${MAX_FIELD_LENGTH} characters`);
  }
  if (!PURPOSES.includes(context?.purpose)) problems.push(`purpose must be one of ${PURPOSES.join(', ')}`);
  if (problems.length > 0)
    throw new VaultError('INVALID_CONTEXT', `Invalid record context: ${problems.join('; ')}`, context);
  return { serial: context.serial, certificateId: context.certificateId, purpose: context.purpose };
}
