import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { StationCryptoError } from './station-crypto-error.js';

/**
 * The HPKE (RFC 9180, base mode) cipher suites a station key selects: the KEM follows the key type, the
 * KDF and AEAD are fixed. RFC 9180 identifiers: KEM 0x0020 or 0x0010, KDF 0x0001, AEAD 0x0002.
 */
export const SEAL_SUITES = [
  'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM',
  'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM',
] as const;
export type SealSuite = (typeof SEAL_SUITES)[number];

export type PublicKeyInput = string | Buffer | KeyObject;

export function toPublicKey(key: PublicKeyInput): KeyObject {
  try {
    return typeof key === 'object' && 'asymmetricKeyType' in key ? key : createPublicKey(key);
  } catch {
    throw new StationCryptoError('UNSUPPORTED_KEY', 'not a public key in SPKI PEM or DER form');
  }
}

/** Which suite a station key (public or private) selects; anything but X25519 and P-256 is refused. */
export function sealSuiteOf(key: KeyObject): SealSuite {
  if (key.asymmetricKeyType === 'x25519') return SEAL_SUITES[0];
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return SEAL_SUITES[1];
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new StationCryptoError(
    'UNSUPPORTED_KEY',
    `station keys must be X25519 or P-256, not ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}`,
  );
}

/** Parses and checks a station's public key; returns it as SPKI PEM with its suite and fingerprint. */
export function parseStationPublicKey(pem: PublicKeyInput): {
  pem: string;
  algorithm: SealSuite;
  fingerprint: string;
} {
  const key = toPublicKey(pem);
  if (key.type !== 'public') throw new StationCryptoError('UNSUPPORTED_KEY', 'expected a public key');
  const algorithm = sealSuiteOf(key);
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
    sealSuiteOf(key);
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
