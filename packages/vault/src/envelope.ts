import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encodeFields } from '@claimline/field-encoding';
import type { RecordContext } from './record-context.js';
import { VaultError } from './vault-error.js';

/**
 * The data layer of the envelope. `ciphertext` column layout (algorithm `aes-256-gcm/v1`):
 *
 *   offset 0        1 byte    format version, 0x01
 *   offset 1       12 bytes   IV (random per record)
 *   offset 13       n bytes   AES-256-GCM ciphertext (n = plaintext length)
 *   offset 13+n    16 bytes   GCM authentication tag
 *
 * Authenticated data: encodeFields(["claimline-vault", "data", "aes-256-gcm/v1", purpose, serial,
 * certificateId]). The KEK id is deliberately not part of it, so that re-wrapping never touches
 * the ciphertext.
 */
export const DATA_ALGORITHM = 'aes-256-gcm/v1';
const VERSION = 0x01;
export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES;

export function dataAad(context: RecordContext): Buffer {
  return encodeFields([
    'claimline-vault',
    'data',
    DATA_ALGORITHM,
    context.purpose,
    context.serial,
    context.certificateId,
  ]);
}

export function encryptData(dataKey: Buffer, plaintext: Buffer, context: RecordContext): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(dataAad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]);
}

/** Checks the algorithm column and the layout before any key is unwrapped. */
export function checkDataFormat(algorithm: string, ciphertext: Buffer, context: RecordContext): void {
  if (algorithm !== DATA_ALGORITHM) {
    throw new VaultError(
      'UNSUPPORTED_ALGORITHM',
      `Unsupported record algorithm ${JSON.stringify(algorithm)}`,
      context,
    );
  }
  if (!Buffer.isBuffer(ciphertext) || ciphertext.length < HEADER_BYTES + TAG_BYTES) {
    throw new VaultError('MALFORMED_RECORD', 'Ciphertext is shorter than its header and tag', context);
  }
  if (ciphertext[0] !== VERSION) {
    throw new VaultError(
      'UNSUPPORTED_ALGORITHM',
      `Unsupported ciphertext version byte ${ciphertext[0]}`,
      context,
    );
  }
}

export function decryptData(dataKey: Buffer, ciphertext: Buffer, context: RecordContext): Buffer {
  const iv = ciphertext.subarray(1, HEADER_BYTES);
  const body = ciphertext.subarray(HEADER_BYTES, ciphertext.length - TAG_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(dataAad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new VaultError(
      'DECRYPT_FAILED',
      'Ciphertext failed authentication (tampered, or opened with another record’s context)',
      context,
    );
  }
}
