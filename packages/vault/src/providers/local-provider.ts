import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encodeFields } from '@claimline/field-encoding';
import type { RecordContext } from '../record-context.js';
import { VaultError } from '../vault-error.js';
import type { KeyProvider, WrapResult } from './key-provider.js';
import type { LocalKeySet } from './local-keys.js';

/**
 * Wrapped key layout (local provider): 0x01 ‖ 12-byte IV ‖ 32-byte encrypted data key ‖ 16-byte tag,
 * AES-256-GCM under the KEK with authenticated data
 * encodeFields(["claimline-vault", "wrap", "local-aes-256-gcm/v1", kekId, purpose, serial, certificateId]).
 */
const PREFIX = 'local:';
const SCHEME = 'local-aes-256-gcm/v1';
const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function wrapAad(kekId: string, context: RecordContext): Buffer {
  return encodeFields([
    'claimline-vault',
    'wrap',
    SCHEME,
    kekId,
    context.purpose,
    context.serial,
    context.certificateId,
  ]);
}

export function createLocalProvider(keySet: LocalKeySet): KeyProvider {
  const activeKekId = PREFIX + keySet.active;

  const kekFor = (kekId: string, context: RecordContext): Buffer => {
    const key = kekId.startsWith(PREFIX) ? keySet.keys.get(kekId.slice(PREFIX.length)) : undefined;
    if (!key) {
      const known = [...keySet.keys.keys()].map((id) => PREFIX + id).join(', ');
      throw new VaultError(
        'UNKNOWN_KEK',
        `KEK ${JSON.stringify(kekId)} is not configured (known: ${known})`,
        context,
      );
    }
    return key;
  };

  return {
    name: 'local',
    activeKekId,
    isActive: (kekId) => kekId === activeKekId,
    resolveActiveKekId: async () => activeKekId,

    async wrap(dataKey, context, kekId = activeKekId): Promise<WrapResult> {
      const kek = kekFor(kekId, context);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(wrapAad(kekId, context));
      const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
      return { wrappedKey: Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]), kekId };
    },

    async unwrap(wrappedKey, kekId, context) {
      const kek = kekFor(kekId, context);
      if (wrappedKey.length <= 1 + IV_BYTES + TAG_BYTES || wrappedKey[0] !== VERSION) {
        throw new VaultError('MALFORMED_RECORD', `Wrapped key is not in the ${SCHEME} format`, context);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', kek, wrappedKey.subarray(1, 1 + IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(wrapAad(kekId, context));
        decipher.setAuthTag(wrappedKey.subarray(wrappedKey.length - TAG_BYTES));
        const body = wrappedKey.subarray(1 + IV_BYTES, wrappedKey.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new VaultError(
          'DECRYPT_FAILED',
          `Wrapped key failed authentication under KEK ${JSON.stringify(kekId)} (tampered, wrong key, or another record’s context)`,
          context,
        );
      }
    },
  };
}
