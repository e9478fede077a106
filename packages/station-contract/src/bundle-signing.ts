import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { keyFingerprint, signatureDigest } from './request-signing.js';

/**
 * Signed credentials bundles (issue 13): the API signs every bundle with its bundle-signing key (ECDSA
 * P-256, or Ed25519 where an older deployment made one; private half sealed by the vault, or in AWS KMS);
 * the station pinned the public key at `init`. The signature covers the JSON Canonicalization Scheme
 * (RFC 8785) encoding of every field of the bundle except the signature itself, prefixed with a domain
 * label so that the bytes cannot be taken for anything else. The algorithm follows the pinned key: a
 * bundle whose `alg` is not the pinned key's is refused.
 */
export const BUNDLE_SIGNATURE_ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256'] as const;
export type BundleSignatureAlgorithm = (typeof BUNDLE_SIGNATURE_ALGORITHMS)[number];
/** A bundle downloaded online older than this (or issued this far in the future) is refused. */
export const BUNDLE_MAX_AGE_SECONDS = 300;
const DOMAIN = 'claimline-bundle-v1\n';

/** `value`: base64 of the Ed25519 signature, or of the ECDSA signature as IEEE P1363 (r ‖ s). */
export type BundleSignature = { alg: BundleSignatureAlgorithm; keyId: string; value: string };

/** The bundle algorithm of a key: Ed25519, or ECDSA over P-256 with SHA-256; undefined for others. */
export function bundleSignatureAlgorithmOf(key: KeyObject): BundleSignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256-sha256';
  return undefined;
}

/**
 * Whatever signs bundles: a private key in this process (`localBundleSigner`) or a key that never
 * leaves a KMS. `sign` returns the raw signature (P1363 for ECDSA).
 */
export type BundleSigner = {
  alg: BundleSignatureAlgorithm;
  keyId: string;
  sign(bytes: Buffer): Promise<Buffer>;
};

export function localBundleSigner(privateKey: KeyObject): BundleSigner {
  const alg = bundleSignatureAlgorithmOf(privateKey);
  if (!alg) throw new Error('a bundle-signing key is Ed25519 or P-256');
  const digest = signatureDigest(privateKey);
  return {
    alg,
    keyId: keyFingerprint(privateKey),
    sign: async (bytes) => sign(digest, bytes, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
  };
}

export async function signBundleWith(
  bundle: Record<string, unknown>,
  signer: BundleSigner,
): Promise<BundleSignature> {
  const value = await signer.sign(bundleSigningBytes(bundle));
  return { alg: signer.alg, keyId: signer.keyId, value: value.toString('base64') };
}

/** The bytes a bundle's signature covers. */
export function bundleSigningBytes(bundle: Record<string, unknown>): Buffer {
  const { bundleSignature: _omit, ...signed } = bundle;
  const text = canonicalize(signed);
  if (text === undefined) throw new Error('the bundle cannot be canonicalised');
  return Buffer.from(DOMAIN + text, 'utf8');
}

/** Signs with a private key in this process (tests, and what `localBundleSigner` does, synchronously). */
export function signBundle(bundle: Record<string, unknown>, privateKey: KeyObject): BundleSignature {
  const alg = bundleSignatureAlgorithmOf(privateKey);
  if (!alg) throw new Error('a bundle-signing key is Ed25519 or P-256');
  const value = sign(signatureDigest(privateKey), bundleSigningBytes(bundle), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return { alg, keyId: keyFingerprint(privateKey), value: value.toString('base64') };
}

export type BundleCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a bundle against the pinned server key: present, made by that key, valid; and, when `now`
 * is given, issued within BUNDLE_MAX_AGE_SECONDS of it.
 */
export function verifyBundle(bundle: Record<string, unknown>, serverKey: KeyObject, now?: Date): BundleCheck {
  const signature = bundle.bundleSignature as Partial<BundleSignature> | undefined;
  if (!signature || typeof signature.value !== 'string')
    return { ok: false, reason: 'the bundle is not signed' };
  const alg = bundleSignatureAlgorithmOf(serverKey);
  if (!alg || signature.alg !== alg || signature.keyId !== keyFingerprint(serverKey))
    return { ok: false, reason: 'the bundle is signed by another key than the pinned server key' };
  const good = verify(
    signatureDigest(serverKey),
    bundleSigningBytes(bundle),
    { key: serverKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature.value, 'base64'),
  );
  if (!good) return { ok: false, reason: 'the bundle signature does not verify' };
  if (now) {
    const issued = Date.parse(String(bundle.issuedAt));
    if (!Number.isFinite(issued) || Math.abs(now.getTime() - issued) > BUNDLE_MAX_AGE_SECONDS * 1000)
      return { ok: false, reason: `the bundle was issued at ${String(bundle.issuedAt)}: stale` };
  }
  return { ok: true };
}
