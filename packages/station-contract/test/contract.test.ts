import { generateStationKeyPair, sealToPublicKey } from '@claimline/station-crypto';
import {
  STATION_PROBLEM_CODES,
  confirmBodySchema,
  credentialsSchema,
  isStationProblemCode,
} from '../src/index.js';

const binding = {
  serial: 'SN-1',
  certificateId: 'c'.repeat(64),
  stationId: '2b1c6c7e-9f0a-4d7e-8a55-0f6d2f7f1a11',
};

function credentials() {
  const { publicKey } = generateStationKeyPair('x25519');
  return {
    serial: binding.serial,
    batchId: '0d9a2f4e-1b7c-4c5e-9e6f-3a2b1c0d9e8f',
    thingName: 'unit-SN-1',
    deviceConfiguration: { line: 'L7' },
    certificateId: binding.certificateId,
    certificatePem: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
    caPem: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n',
    endpoint: 'iot.example:8883',
    stationId: binding.stationId,
    sealedPrivateKey: sealToPublicKey(Buffer.from('key'), publicKey, binding),
  };
}

describe('station contract', () => {
  it('accepts what the API sends: a payload sealed by station-crypto', () => {
    const sent = credentials();
    expect(credentialsSchema.parse(sent)).toEqual(sent);
  });

  it('rejects an answer a station must not act on', () => {
    const sent = credentials();
    const wrongAlg = { ...sent, sealedPrivateKey: { ...sent.sealedPrivateKey, alg: 'RSA-OAEP' } };
    const issues = credentialsSchema.safeParse(wrongAlg).error?.issues ?? [];
    expect(issues.map((issue) => issue.path.join('.'))).toEqual(['sealedPrivateKey.alg']);
    const { sealedPrivateKey: _dropped, ...noKey } = sent;
    expect(credentialsSchema.safeParse(noKey).success).toBe(false);
  });

  it('a confirmation is ok or failed, with the burn log digest', () => {
    expect(confirmBodySchema.safeParse({ result: 'ok', burnLogSha256: 'a'.repeat(64) }).success).toBe(true);
    expect(confirmBodySchema.safeParse({ result: 'maybe', burnLogSha256: 'a'.repeat(64) }).success).toBe(
      false,
    );
  });

  it('names the problem codes a station explains', () => {
    expect(STATION_PROBLEM_CODES.every(isStationProblemCode)).toBe(true);
    expect(isStationProblemCode('INTERNAL')).toBe(false);
    expect(isStationProblemCode(undefined)).toBe(false);
  });
});
