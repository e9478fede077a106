import type { KeyObject, webcrypto } from 'node:crypto';
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { sealSuiteOf, type SealSuite } from './keys.js';

/**
 * RFC 9180 base mode through hpke-js (`@hpke/core`, WebCrypto underneath): single-shot seal and open.
 * Nothing here is specific to claimline; seal.ts adds the payload format and the binding.
 */
const suites: Record<SealSuite, CipherSuite> = {
  'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM': new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  }),
  'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM': new CipherSuite({
    kem: new DhkemP256HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes256Gcm(),
  }),
};

type CryptoKey = webcrypto.CryptoKey;

/** A Node key as the library's CryptoKey, through JWK (the one format Node and hpke-js share for both curves). */
function importKey(suite: CipherSuite, key: KeyObject): Promise<CryptoKey> {
  const jwk = key.export({ format: 'jwk' }) as Parameters<CipherSuite['kem']['importKey']>[1];
  return suite.kem.importKey('jwk', jwk, key.type === 'public') as Promise<CryptoKey>;
}

export type HpkeSealed = { suite: SealSuite; enc: Buffer; ct: Buffer };

/**
 * `ikmE` (RFC 9180 test vectors only) derives the ephemeral key deterministically; without it the
 * ephemeral key is fresh for every call.
 */
export async function hpkeSeal(
  recipient: KeyObject,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  ikmE?: Uint8Array,
): Promise<HpkeSealed> {
  const name = sealSuiteOf(recipient);
  const suite = suites[name];
  const recipientPublicKey = await importKey(suite, recipient);
  const { enc, ct } = await suite.seal(
    { recipientPublicKey, info, ...(ikmE ? { ekm: ikmE } : {}) },
    plaintext,
    aad,
  );
  return { suite: name, enc: Buffer.from(enc), ct: Buffer.from(ct) };
}

/** Opens with the recipient's private key; throws the library's error (OpenError, DecapError) on failure. */
export async function hpkeOpen(
  recipient: KeyObject,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Buffer> {
  const suite = suites[sealSuiteOf(recipient)];
  const recipientKey = await importKey(suite, recipient);
  const plaintext = new Uint8Array(await suite.open({ recipientKey, enc, info }, ct, aad));
  try {
    return Buffer.from(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
