import {
  createCipheriv,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { encodeFields } from '@claimline/field-encoding';
import type { SealBinding } from './seal.js';
import { StationCryptoError } from './station-crypto-error.js';

/**
 * The pre-HPKE format (v1: ephemeral-static ECDH, HKDF-SHA256, AES-256-GCM, own encoding). Nothing opens
 * it any more: a v1 payload is unsigned, so a station names the v1 units of its offline store at the
 * start of `run` and refuses them (apps/station/src/offline-store.ts); prefetching the batch again
 * replaces them. The writer stays for the tests of that refusal. Delete once no station holds v1 files.
 */
type LegacyAlgorithm = 'X25519-HKDF-SHA256-A256GCM' | 'P256-HKDF-SHA256-A256GCM';
export type LegacySealedPayload = { v: 1; alg: LegacyAlgorithm; epk: string; iv: string; ct: string };

const IV_BYTES = 12;
const TAG_BYTES = 16;

function legacyAlgorithmOf(key: KeyObject): LegacyAlgorithm {
  if (key.asymmetricKeyType === 'x25519') return 'X25519-HKDF-SHA256-A256GCM';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'P256-HKDF-SHA256-A256GCM';
  throw new StationCryptoError('UNSUPPORTED_KEY', 'station keys must be X25519 or P-256');
}

function legacyInfo(alg: LegacyAlgorithm, binding: SealBinding): Buffer {
  return encodeFields([
    'claimline-station-seal',
    'v1',
    alg,
    binding.serial,
    binding.certificateId,
    binding.stationId,
  ]);
}

function deriveKey(shared: Buffer, epkDer: Buffer, recipientDer: Buffer, info: Buffer): Buffer {
  const salt = createHash('sha256').update(epkDer).update(recipientDer).digest();
  return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
}

export function isLegacySealed(payload: unknown): payload is LegacySealedPayload {
  return (payload as { v?: unknown } | null)?.v === 1;
}

/** Writes a v1 payload: for tests of the refusal only (exported from `@claimline/station-crypto/testing`). */
export function sealLegacy(
  plaintext: Buffer,
  recipient: KeyObject,
  binding: SealBinding,
): LegacySealedPayload {
  const alg = legacyAlgorithmOf(recipient);
  const info = legacyInfo(alg, binding);
  const ephemeral =
    alg === 'X25519-HKDF-SHA256-A256GCM'
      ? generateKeyPairSync('x25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const epkDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const key = deriveKey(shared, epkDer, recipient.export({ type: 'spki', format: 'der' }), info);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(info);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  key.fill(0);
  return {
    v: 1,
    alg,
    epk: epkDer.toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
  };
}
