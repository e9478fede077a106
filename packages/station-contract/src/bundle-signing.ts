import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { keyFingerprint } from './request-signing.js';

/**
 * Signed credentials bundles (issue 13): the API signs every bundle with its bundle-signing key (Ed25519,
 * private half sealed by the vault); the station pinned the public key at `init`. The signature covers
 * the JSON Canonicalization Scheme (RFC 8785) encoding of every field of the bundle except the signature
 * itself, prefixed with a domain label so that the bytes cannot be taken for anything else.
 */
export const BUNDLE_SIGNATURE_ALGORITHM = 'ed25519';
/** A bundle downloaded online older than this (or issued this far in the future) is refused. */
export const BUNDLE_MAX_AGE_SECONDS = 300;
const DOMAIN = 'claimline-bundle-v1\n';

export type BundleSignature = { alg: typeof BUNDLE_SIGNATURE_ALGORITHM; keyId: string; value: string };

/** The bytes a bundle's signature covers. */
export function bundleSigningBytes(bundle: Record<string, unknown>): Buffer {
  const { bundleSignature: _omit, ...signed } = bundle;
  const text = canonicalize(signed);
  if (text === undefined) throw new Error('the bundle cannot be canonicalised');
  return Buffer.from(DOMAIN + text, 'utf8');
}

export function signBundle(bundle: Record<string, unknown>, privateKey: KeyObject): BundleSignature {
  return {
    alg: BUNDLE_SIGNATURE_ALGORITHM,
    keyId: keyFingerprint(privateKey),
    value: sign(null, bundleSigningBytes(bundle), privateKey).toString('base64'),
  };
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
  if (signature.alg !== BUNDLE_SIGNATURE_ALGORITHM || signature.keyId !== keyFingerprint(serverKey))
    return { ok: false, reason: 'the bundle is signed by another key than the pinned server key' };
  const good = verify(null, bundleSigningBytes(bundle), serverKey, Buffer.from(signature.value, 'base64'));
  if (!good) return { ok: false, reason: 'the bundle signature does not verify' };
  if (now) {
    const issued = Date.parse(String(bundle.issuedAt));
    if (!Number.isFinite(issued) || Math.abs(now.getTime() - issued) > BUNDLE_MAX_AGE_SECONDS * 1000)
      return { ok: false, reason: `the bundle was issued at ${String(bundle.issuedAt)}: stale` };
  }
  return { ok: true };
}
