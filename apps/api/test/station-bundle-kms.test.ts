import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { verifyBundle } from '@claimline/station-contract';
import { startFakeKms, type FakeKms } from '@claimline/vault/testing';
import request from 'supertest';
import { createStationFixtures, seedUnits, type StationFixtures } from './station-fixtures.js';
import { enrol, newTestStation, stationRequest } from './station-signing.js';
import { startTestApi, type TestApi } from './helpers.js';

/**
 * Issue 13, item 4 "or KMS Sign when configured": with API_BUNDLE_KMS_KEY_ID the API signs bundles with
 * an ECDSA P-256 key whose private half stays in KMS (the real SDK against the fake KMS), and a KMS
 * outage is a 503 that leaves the unit downloadable.
 */
let kms: FakeKms;
let fixtures: StationFixtures;
const saved = { ...process.env };

beforeAll(async () => {
  kms = await startFakeKms();
  fixtures = createStationFixtures();
  // The SDK's standard chain reads these, as it would a task role's; one attempt, so an injected
  // failure is not retried away.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEVAULTTEST',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_MAX_ATTEMPTS: '1',
  });
});
afterAll(async () => {
  process.env = saved;
  await kms.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

async function apiWithKey(keyId: string): Promise<TestApi> {
  return startTestApi({ ...fixtures.env, API_BUNDLE_KMS_KEY_ID: keyId, VAULT_KMS_ENDPOINT: kms.endpoint });
}

const credentialsPath = (serial: string) => `/v1/station/devices/${serial}/credentials`;

describe('bundles signed by a KMS key', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await apiWithKey(kms.signingKeyArn);
  });
  afterAll(() => api.close());

  it('init pins the KMS public key; every bundle is signed with it by one KMS Sign; an outage is a 503 that claims nothing', async () => {
    const reg = await request(api.app)
      .post('/v1/stations')
      .set(api.auth(api.keys.admin))
      .send({ name: 'kms-line' });
    const station = newTestStation(reg.body.apiKey.key as string);
    const enrolled = await enrol(api.app, station);
    expect(enrolled.status).toBe(200);
    const pinned = createPublicKey(enrolled.body.server.bundleKey as string);
    expect(pinned.export({ type: 'spki', format: 'pem' })).toBe(
      kms.signingPublicKey.export({ type: 'spki', format: 'pem' }),
    );

    const { units, batchId } = await seedUnits(api.db.prisma, fixtures, 'KMS', 3);
    const download = (path: string) => stationRequest(api.app, 'get', path, station.key, station.signer);
    const signsBefore = kms.calls.filter((c) => c.operation === 'Sign').length;
    kms.failNext(500, 'KMSInternalException');
    const refused = await download(credentialsPath(units[0]!.serial));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ code: 'KEY_SERVICE_UNAVAILABLE' });
    expect(JSON.stringify(refused.body)).not.toContain(kms.signingKeyArn);
    const unit = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: units[0]!.serial } });
    expect(unit).toMatchObject({ state: 'REGISTERED', downloadedByStationId: null });

    const one = await download(credentialsPath(units[0]!.serial));
    expect(one.status).toBe(200);
    const page = await download(`/v1/station/batches/${batchId}/credentials`);
    expect(page.status).toBe(200);
    const bundles = [one.body, ...page.body.items];
    expect(bundles).toHaveLength(1 + 3); // the page holds the unit already downloaded by this station too
    for (const bundle of bundles) {
      expect(bundle.bundleSignature.alg).toBe('ecdsa-p256-sha256');
      expect(verifyBundle(bundle, pinned, new Date())).toEqual({ ok: true });
      expect(verifyBundle({ ...bundle, endpoint: 'evil.example:8883' }, pinned).ok).toBe(false);
    }
    const signs = kms.calls.filter((c) => c.operation === 'Sign').slice(signsBefore);
    expect(signs).toHaveLength(1 + 4); // the refused one, then one per bundle
    expect(signs.every((c) => c.body.MessageType === 'DIGEST')).toBe(true);
  });
});

it('a KMS key that cannot sign (symmetric) refuses downloads with CREDENTIALS_UNAVAILABLE, naming no key', async () => {
  const api = await apiWithKey(kms.keyArns[0]);
  try {
    const reg = await request(api.app)
      .post('/v1/stations')
      .set(api.auth(api.keys.admin))
      .send({ name: 'kms-bad' });
    const station = newTestStation(reg.body.apiKey.key as string);
    const enrolled = await enrol(api.app, station);
    expect(enrolled.status).toBe(503);
    expect(enrolled.body).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
    expect(enrolled.body.detail).toContain('KMS_REJECTED');
    expect(JSON.stringify(enrolled.body)).not.toContain(kms.keyArns[0]);
  } finally {
    await api.close();
  }
});
