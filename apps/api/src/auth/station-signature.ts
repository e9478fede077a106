import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  RFC9421_ALG,
  SIGNATURE_CLOCK_SKEW_SECONDS,
  SIGNATURE_MAX_AGE_SECONDS,
  SIGNED_COMPONENTS,
  contentDigest,
  createSignatureVerifier,
  keyFingerprint,
  signingAlgorithmOf,
} from '@claimline/station-contract';
import type { Request } from 'express';
import { ExpiredError, httpbis, type VerifyingKey } from 'http-message-signatures';
import type { Redis } from 'ioredis';
import { AppError } from '../errors/app-error.js';

export type StationSignature = { keyId: string; nonce: string };

/**
 * Verifying keys by PEM: a station's key is parsed, fingerprinted and wrapped once per process, not per
 * request (bounded: cleared past 10,000 keys).
 */
const verifyingKeys = new Map<string, VerifyingKey>();
function verifyingKey(pem: string): VerifyingKey {
  let verifying = verifyingKeys.get(pem);
  if (!verifying) {
    const key: KeyObject = createPublicKey(pem);
    const algorithm = signingAlgorithmOf(key);
    if (!algorithm)
      throw new AppError('SIGNATURE_INVALID', 'the station signing key is not Ed25519 or P-256');
    const alg = RFC9421_ALG[algorithm];
    verifying = { id: keyFingerprint(key), algs: [alg], verify: createSignatureVerifier(key) };
    if (verifyingKeys.size >= 10_000) verifyingKeys.clear();
    verifyingKeys.set(pem, verifying);
  }
  return verifying;
}

function headersOf(req: Request): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * Verifies a station request's RFC 9421 signature against `signingKeyPem` (the station's active key, or
 * for an enrolment the key the request uploads). Refuses, each with its own code: no signature, a
 * signature not covering method/path/query (and Content-Digest when there is a body), a body that does not
 * match its digest, a key other than `signingKeyPem` (`otherKey` names a key that gets a better code,
 * e.g. a pending replacement), a bad signature, one older than 5 minutes.
 */
export async function verifyStationSignature(
  req: Request & { rawBody?: Buffer },
  signingKeyPem: string,
  otherKey?: { pem: string; code: 'STATION_KEY_PENDING' },
): Promise<StationSignature> {
  if (!req.headers['signature'] || !req.headers['signature-input'])
    throw new AppError(
      'SIGNATURE_MISSING',
      'sign the request with the station signing key (claimline-station does)',
    );
  const hasBody = (req.rawBody?.length ?? 0) > 0;
  if (hasBody) {
    const digest = req.headers['content-digest'];
    if (digest !== contentDigest(req.rawBody!))
      throw new AppError('CONTENT_DIGEST_MISMATCH', 'Content-Digest must be sha-256=:<base64>: of the body');
  }
  const expected = verifyingKey(signingKeyPem);
  let seen: { keyid?: string; nonce?: string } = {};
  let verified: boolean | null;
  try {
    verified = await httpbis.verifyMessage(
      {
        keyLookup: async (params) => {
          seen = { keyid: params.keyid, nonce: params.nonce as string | undefined };
          if (params.keyid === expected.id) return expected;
          if (otherKey && params.keyid === verifyingKey(otherKey.pem).id)
            throw new AppError(otherKey.code, 'this key waits for an ADMIN to approve it');
          throw new AppError(
            'SIGNATURE_INVALID',
            `keyid ${String(params.keyid)} is not this station's signing key`,
          );
        },
        requiredParams: ['created', 'nonce', 'keyid'],
        requiredFields: [...SIGNED_COMPONENTS, ...(hasBody ? ['content-digest'] : [])],
        maxAge: SIGNATURE_MAX_AGE_SECONDS,
        notAfter: Math.floor(Date.now() / 1000) + SIGNATURE_CLOCK_SKEW_SECONDS,
      },
      { method: req.method, url: `http://station.invalid${req.originalUrl}`, headers: headersOf(req) },
    );
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof ExpiredError)
      throw new AppError(
        'SIGNATURE_STALE',
        `signatures are valid for ${SIGNATURE_MAX_AGE_SECONDS} s: check the station clock`,
      );
    throw new AppError('SIGNATURE_INVALID', `the signature is not acceptable: ${(error as Error).message}`);
  }
  if (verified !== true || !seen.nonce || !seen.keyid)
    throw new AppError('SIGNATURE_INVALID', 'the signature does not verify with the station signing key');
  return { keyId: seen.keyid, nonce: seen.nonce };
}

/**
 * The nonce store, in Redis so that every API process shares it: a nonce is accepted once per station
 * within the signature lifetime (plus the clock skew), after which `created` alone refuses the request.
 */
export async function consumeNonce(
  redis: Redis,
  prefix: string,
  stationId: string,
  nonce: string,
): Promise<void> {
  if (nonce.length < 16 || nonce.length > 128)
    throw new AppError('SIGNATURE_INVALID', 'the nonce must be 16 to 128 characters');
  const ttl = SIGNATURE_MAX_AGE_SECONDS + 2 * SIGNATURE_CLOCK_SKEW_SECONDS;
  const fresh = await redis.set(`${prefix}:sig-nonce:${stationId}:${nonce}`, '1', 'EX', ttl, 'NX');
  if (fresh !== 'OK')
    throw new AppError('SIGNATURE_REPLAYED', 'this signature was already used: sign each request anew');
}
