import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { encodeFields } from '@claimline/field-encoding';
import { StationCryptoError } from './station-crypto-error.js';

/**
 * A device private key sealed to one station's public key, as the API sends it and the station keeps it
 * at rest for offline work. Ephemeral-static ECDH (X25519, or P-256 for stations that need NIST curves),
 * HKDF-SHA256 and AES-256-GCM. The binding (serial, certificate id, station id) is both the HKDF info and
 * the GCM additional data: a payload opened for another unit, certificate or station fails authentication.
 */
export const SEAL_ALGORITHMS = ['X25519-HKDF-SHA256-A256GCM', 'P256-HKDF-SHA256-A256GCM'] as const;
export type SealAlgorithm = (typeof SEAL_ALGORITHMS)[number];

export type SealBinding = { serial: string; certificateId: string; stationId: string };

/** JSON-safe; every binary field is base64. `epk` is the ephemeral public key (SPKI DER). `ct` ends with the 16-byte tag. */
export type SealedPayload = { v: 1; alg: SealAlgorithm; epk: string; iv: string; ct: string };

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

type PublicKeyInput = string | Buffer | KeyObject;

function toPublicKey(key: PublicKeyInput): KeyObject {
  try {
    return typeof key === 'object' && 'asymmetricKeyType' in key ? key : createPublicKey(key);
  } catch {
    throw new StationCryptoError('UNSUPPORTED_KEY', 'not a public key in SPKI PEM or DER form');
  }
}

/** Which algorithm a station key (public or private) selects; anything but X25519 and P-256 is refused. */
export function sealAlgorithmOf(key: KeyObject): SealAlgorithm {
  if (key.asymmetricKeyType === 'x25519') return 'X25519-HKDF-SHA256-A256GCM';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'P256-HKDF-SHA256-A256GCM';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new StationCryptoError(
    'UNSUPPORTED_KEY',
    `station keys must be X25519 or P-256, not ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}`,
  );
}

/** Parses and checks a station's public key; returns it as SPKI PEM with its algorithm and fingerprint. */
export function parseStationPublicKey(pem: PublicKeyInput): {
  pem: string;
  algorithm: SealAlgorithm;
  fingerprint: string;
} {
  const key = toPublicKey(pem);
  if (key.type !== 'public') throw new StationCryptoError('UNSUPPORTED_KEY', 'expected a public key');
  const algorithm = sealAlgorithmOf(key);
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    algorithm,
    fingerprint: publicKeyFingerprint(key),
  };
}

/** SHA-256 of the SPKI DER, hex: what an operator compares between `init` and the server. */
export function publicKeyFingerprint(key: PublicKeyInput): string {
  return createHash('sha256')
    .update(toPublicKey(key).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The binding, canonically encoded: HKDF info and GCM additional data. */
export function bindingBytes(alg: SealAlgorithm, binding: SealBinding): Buffer {
  for (const field of ['serial', 'certificateId', 'stationId'] as const) {
    if (typeof binding[field] !== 'string' || binding[field].length === 0)
      throw new StationCryptoError('INVALID_BINDING', `${field} must be a non-empty string`);
  }
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
  return Buffer.from(hkdfSync('sha256', shared, salt, info, KEY_BYTES));
}

export function sealToPublicKey(
  plaintext: Buffer,
  recipient: PublicKeyInput,
  binding: SealBinding,
): SealedPayload {
  const recipientKey = toPublicKey(recipient);
  const alg = sealAlgorithmOf(recipientKey);
  const info = bindingBytes(alg, binding);
  const ephemeral =
    alg === 'X25519-HKDF-SHA256-A256GCM'
      ? generateKeyPairSync('x25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const epkDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientKey });
  const key = deriveKey(shared, epkDer, recipientKey.export({ type: 'spki', format: 'der' }), info);
  shared.fill(0);
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(info);
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      v: 1,
      alg,
      epk: epkDer.toString('base64'),
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
    };
  } finally {
    key.fill(0);
  }
}

function decode(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new StationCryptoError('MALFORMED_PAYLOAD', `${what} is not base64`);
  return Buffer.from(value, 'base64');
}

/** Opens a payload with the station's private key; any tampering or a wrong binding gives OPEN_FAILED. */
export function openSealed(payload: SealedPayload, privateKey: KeyObject, binding: SealBinding): Buffer {
  if (payload?.v !== 1)
    throw new StationCryptoError('MALFORMED_PAYLOAD', `unknown sealed payload version ${String(payload?.v)}`);
  const alg = sealAlgorithmOf(privateKey);
  if (payload.alg !== alg)
    throw new StationCryptoError(
      'MALFORMED_PAYLOAD',
      `payload algorithm ${String(payload.alg)} does not match this station key (${alg})`,
    );
  const epkDer = decode(payload.epk, 'epk');
  const iv = decode(payload.iv, 'iv');
  const ct = decode(payload.ct, 'ct');
  if (iv.length !== IV_BYTES || ct.length < TAG_BYTES)
    throw new StationCryptoError('MALFORMED_PAYLOAD', 'iv or ciphertext has the wrong length');
  const info = bindingBytes(alg, binding);
  let key: Buffer | undefined;
  try {
    const epk = createPublicKey({ key: epkDer, format: 'der', type: 'spki' });
    if (sealAlgorithmOf(epk) !== alg) throw new Error('ephemeral key type mismatch');
    const shared = diffieHellman({ privateKey, publicKey: epk });
    key = deriveKey(
      shared,
      epkDer,
      createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
      info,
    );
    shared.fill(0);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(info);
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    return Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new StationCryptoError(
      'OPEN_FAILED',
      `sealed key for ${binding.serial} failed authentication (tampered, or sealed for another unit, certificate or station)`,
    );
  } finally {
    key?.fill(0);
  }
}

/** A new station key pair: X25519 by default. */
export function generateStationKeyPair(algorithm: 'x25519' | 'p256' = 'x25519'): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return algorithm === 'x25519'
    ? generateKeyPairSync('x25519')
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** Reads a station private key (PKCS#8 PEM, optionally passphrase-encrypted). */
export function loadStationPrivateKey(pem: string, passphrase?: string): KeyObject {
  try {
    const key = createPrivateKey(
      passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase },
    );
    sealAlgorithmOf(key);
    return key;
  } catch (error) {
    if (error instanceof StationCryptoError) throw error;
    const encrypted = pem.includes('ENCRYPTED PRIVATE KEY');
    throw new StationCryptoError(
      'UNSUPPORTED_KEY',
      encrypted
        ? 'cannot decrypt the station key: wrong or missing passphrase'
        : 'the station key file is not a PKCS#8 PEM private key',
    );
  }
}
