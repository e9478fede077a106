import { generateKeyPairSync } from 'node:crypto';
import { generateStationKeyPair, sealToPublicKey } from '@claimline/station-crypto';
import {
  STATION_PROBLEM_CODES,
  confirmBodySchema,
  credentialsSchema,
  isStationProblemCode,
  signBundle,
  signBundleWith,
  localBundleSigner,
  verifyBundle,
} from '../src/index.js';

/** The API's bundle-signing key (Ed25519), as the vault would hold it. */
const serverKey = generateKeyPairSync('ed25519').privateKey;

const binding = {
  serial: 'SN-1',
  certificateId: 'c'.repeat(64),
  stationId: '2b1c6c7e-9f0a-4d7e-8a55-0f6d2f7f1a11',
};

async function credentials() {
  const { publicKey } = generateStationKeyPair('x25519');
  const bundle = {
    serial: binding.serial,
    batchId: '0d9a2f4e-1b7c-4c5e-9e6f-3a2b1c0d9e8f',
    thingName: 'unit-SN-1',
    deviceConfiguration: { line: 'L7' },
    certificateId: binding.certificateId,
    certificatePem: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
    caPem: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
    endpoint: 'iot.example:8883',
    stationId: binding.stationId,
    sealedPrivateKey: await sealToPublicKey(Buffer.from('key'), publicKey, binding),
    issuedAt: new Date().toISOString(),
  };
  return { ...bundle, bundleSignature: signBundle(bundle, serverKey) };
}

describe('station contract', () => {
  it('accepts what the API sends: a payload sealed by station-crypto', async () => {
    const sent = await credentials();
    expect(credentialsSchema.parse(sent)).toEqual(sent);
  });

  it('rejects an answer a station must not act on', async () => {
    const sent = await credentials();
    const wrongSuite = { ...sent, sealedPrivateKey: { ...sent.sealedPrivateKey, suite: 'RSA-OAEP' } };
    const issues = credentialsSchema.safeParse(wrongSuite).error?.issues ?? [];
    expect(issues.map((issue) => issue.path.join('.'))).toEqual(['sealedPrivateKey.suite']);
    const legacy = { v: 1, alg: 'X25519-HKDF-SHA256-A256GCM', epk: 'AA==', iv: 'AA==', ct: 'AA==' };
    expect(credentialsSchema.safeParse({ ...sent, sealedPrivateKey: legacy }).success).toBe(false);
    const { sealedPrivateKey: _dropped, ...noKey } = sent;
    expect(credentialsSchema.safeParse(noKey).success).toBe(false);
    // A unit that holds its own key (device-csr): no key, and it says so; never both.
    expect(credentialsSchema.safeParse({ ...noKey, keyOrigin: 'device' }).success).toBe(true);
    expect(credentialsSchema.safeParse({ ...sent, keyOrigin: 'device' }).success).toBe(false);
    expect(credentialsSchema.safeParse({ ...sent, keyOrigin: 'server' }).success).toBe(true);
  });

  it('a confirmation is ok or failed, with the burn log digest, exit code and duration', () => {
    expect(confirmBodySchema.safeParse({ result: 'ok', burnLogSha256: 'a'.repeat(64) }).success).toBe(true);
    const failed = { result: 'failed', burnLogSha256: 'a'.repeat(64), exitCode: 3, durationMs: 1200 };
    expect(confirmBodySchema.parse(failed)).toEqual(failed);
    expect(confirmBodySchema.safeParse({ ...failed, durationMs: -1 }).success).toBe(false);
    expect(confirmBodySchema.safeParse({ ...failed, log: 'raw output' }).success).toBe(false);
    expect(confirmBodySchema.safeParse({ result: 'maybe', burnLogSha256: 'a'.repeat(64) }).success).toBe(
      false,
    );
  });

  it('names the problem codes a station explains', () => {
    expect(STATION_PROBLEM_CODES.every(isStationProblemCode)).toBe(true);
    expect(isStationProblemCode('INTERNAL')).toBe(false);
    expect(isStationProblemCode(undefined)).toBe(false);
  });

  it('a bundle signed with ECDSA P-256 (the KMS option) verifies only with its pinned key and its own alg', async () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const { bundleSignature: _ed, ...bundle } = await credentials();
    const signed = {
      ...bundle,
      bundleSignature: await signBundleWith(bundle, localBundleSigner(p256.privateKey)),
    };
    expect(signed.bundleSignature.alg).toBe('ecdsa-p256-sha256');
    expect(Buffer.from(signed.bundleSignature.value, 'base64')).toHaveLength(64); // P1363 r ‖ s
    expect(credentialsSchema.parse(signed)).toEqual(signed);
    expect(verifyBundle(signed, p256.publicKey, new Date())).toEqual({ ok: true });
    expect(verifyBundle({ ...signed, serial: 'SN-2' }, p256.publicKey).ok).toBe(false);
    // The same signature relabelled, or checked against the Ed25519 server key: refused.
    const relabelled = { ...signed, bundleSignature: { ...signed.bundleSignature, alg: 'ed25519' } };
    expect(verifyBundle(relabelled, p256.publicKey).ok).toBe(false);
    expect(verifyBundle(signed, serverKey).ok).toBe(false);
    expect(
      credentialsSchema.safeParse({ ...signed, bundleSignature: { ...signed.bundleSignature, alg: 'rsa' } })
        .success,
    ).toBe(false);
  });
});
