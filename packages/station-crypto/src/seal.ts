import type { KeyObject } from 'node:crypto';
import { encodeFields } from '@claimline/field-encoding';
import { hpkeOpen, hpkeSeal } from './hpke.js';
import { sealSuiteOf, toPublicKey, type PublicKeyInput, type SealSuite } from './keys.js';
import { StationCryptoError } from './station-crypto-error.js';

/**
 * A device private key sealed to one station's public key, as the API sends it and the station keeps it
 * at rest for offline work: RFC 9180 HPKE, base mode, single shot. The binding (serial, certificate id,
 * station id) is the HPKE `info`, so it enters the key schedule: a payload opened for another unit,
 * certificate or station fails authentication. The AAD is empty. Any HPKE library opens it (see
 * apps/station/README.md for Python and Go).
 */
export type SealedPayload = {
  v: 2;
  suite: SealSuite;
  /** The KEM's encapsulated key (RFC 9180 `enc`), base64: 32 bytes for X25519, 65 (uncompressed point) for P-256. */
  enc: string;
  /** AES-256-GCM ciphertext ‖ 16-byte tag, base64. */
  ct: string;
};

export type SealBinding = { serial: string; certificateId: string; stationId: string };

/** The HPKE info: encodeFields(["claimline-station-seal", "v2", serial, certificateId, stationId]). */
export function bindingBytes(binding: SealBinding): Buffer {
  for (const field of ['serial', 'certificateId', 'stationId'] as const) {
    if (typeof binding[field] !== 'string' || binding[field].length === 0)
      throw new StationCryptoError('INVALID_BINDING', `${field} must be a non-empty string`);
  }
  return encodeFields([
    'claimline-station-seal',
    'v2',
    binding.serial,
    binding.certificateId,
    binding.stationId,
  ]);
}

const NO_AAD = new Uint8Array(0);
const ENC_BYTES: Record<SealSuite, number> = {
  'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM': 32,
  'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM': 65,
};
const TAG_BYTES = 16;

export async function sealToPublicKey(
  plaintext: Buffer,
  recipient: PublicKeyInput,
  binding: SealBinding,
): Promise<SealedPayload> {
  const info = bindingBytes(binding);
  const { suite, enc, ct } = await hpkeSeal(toPublicKey(recipient), info, NO_AAD, plaintext);
  return { v: 2, suite, enc: enc.toString('base64'), ct: ct.toString('base64') };
}

function decode(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new StationCryptoError('MALFORMED_PAYLOAD', `${what} is not base64`);
  return Buffer.from(value, 'base64');
}

/** Opens a payload with the station's private key; any tampering or a wrong binding gives OPEN_FAILED. */
export async function openSealed(
  payload: SealedPayload,
  privateKey: KeyObject,
  binding: SealBinding,
): Promise<Buffer> {
  const version = (payload as { v?: unknown } | null)?.v;
  if (version === 1)
    throw new StationCryptoError(
      'LEGACY_PAYLOAD',
      `the sealed key for ${binding.serial} is in the pre-HPKE format (v1), which stations no longer open (it is unsigned): prefetch the batch again`,
    );
  if (version !== 2)
    throw new StationCryptoError('MALFORMED_PAYLOAD', `unknown sealed payload version ${String(version)}`);
  const suite = sealSuiteOf(privateKey);
  if (payload.suite !== suite)
    throw new StationCryptoError(
      'MALFORMED_PAYLOAD',
      `payload suite ${String(payload.suite)} does not match this station key (${suite})`,
    );
  const enc = decode(payload.enc, 'enc');
  const ct = decode(payload.ct, 'ct');
  if (enc.length !== ENC_BYTES[suite] || ct.length < TAG_BYTES)
    throw new StationCryptoError('MALFORMED_PAYLOAD', 'enc or ciphertext has the wrong length');
  try {
    return await hpkeOpen(privateKey, enc, bindingBytes(binding), NO_AAD, ct);
  } catch {
    throw new StationCryptoError(
      'OPEN_FAILED',
      `sealed key for ${binding.serial} failed authentication (tampered, or sealed for another unit, certificate or station)`,
    );
  }
}
