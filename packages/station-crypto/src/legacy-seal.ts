import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
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
 * The pre-HPKE format (v1: ephemeral-static ECDH, HKDF-SHA256, AES-256-GCM, own encoding), kept only so a
 * station can migrate offline stores written before the change (apps/station/src/offline-store.ts). The
 * API no longer produces it. Delete once no station holds v1 files.
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

function decode(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new StationCryptoError('MALFORMED_PAYLOAD', `${what} is not base64`);
  return Buffer.from(value, 'base64');
}

export function isLegacySealed(payload: unknown): payload is LegacySealedPayload {
  return (payload as { v?: unknown } | null)?.v === 1;
}

/** Opens a v1 payload; tampering or a wrong binding gives OPEN_FAILED. */
export function openLegacySealed(
  payload: LegacySealedPayload,
  privateKey: KeyObject,
  binding: SealBinding,
): Buffer {
  const alg = legacyAlgorithmOf(privateKey);
  if (payload.alg !== alg)
    throw new StationCryptoError(
      'MALFORMED_PAYLOAD',
      `v1 payload algorithm ${String(payload.alg)} is not ${alg}`,
    );
  const epkDer = decode(payload.epk, 'epk');
  const iv = decode(payload.iv, 'iv');
  const ct = decode(payload.ct, 'ct');
  if (iv.length !== IV_BYTES || ct.length < TAG_BYTES)
    throw new StationCryptoError('MALFORMED_PAYLOAD', 'iv or ciphertext has the wrong length');
  const info = legacyInfo(alg, binding);
  let key: Buffer | undefined;
  try {
    const epk = createPublicKey({ key: epkDer, format: 'der', type: 'spki' });
    if (legacyAlgorithmOf(epk) !== alg) throw new Error('ephemeral key type mismatch');
    const shared = diffieHellman({ privateKey, publicKey: epk });
    const recipientDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    key = deriveKey(shared, epkDer, recipientDer, info);
    shared.fill(0);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(info);
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    return Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new StationCryptoError(
      'OPEN_FAILED',
      `v1 sealed key for ${binding.serial} failed authentication (tampered, or sealed for another unit, certificate or station)`,
    );
  } finally {
    key?.fill(0);
  }
}

/** Writes a v1 payload: for tests of the migration only (exported from `@claimline/station-crypto/testing`). */
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
