import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { verifyBundle } from '@claimline/station-contract';
import request from 'supertest';
import { createApp } from '../src/index.js';
import { createStationFixtures, seedUnits, type StationFixtures } from './station-fixtures.js';
import { enrol, newSigner, newTestStation, stationRequest, type TestStation } from './station-signing.js';
import { startTestApi, type TestApi } from './helpers.js';

/** Issue 13: proof of possession, enrolment approval, revocation, signed bundles. */
let api: TestApi;
let fixtures: StationFixtures;

beforeAll(async () => {
  fixtures = createStationFixtures();
  api = await startTestApi(fixtures.env);
});
afterAll(async () => {
  await api.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

async function enrolled(name: string): Promise<TestStation & { prefix: string; bundleKey: string }> {
  const reg = await request(api.app).post('/v1/stations').set(api.auth(api.keys.admin)).send({ name });
  expect(reg.status).toBe(201);
  const station = newTestStation(reg.body.apiKey.key as string);
  const res = await enrol(api.app, station);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ACTIVE', signingAlgorithm: 'ed25519' });
  return {
    ...station,
    prefix: reg.body.apiKey.prefix as string,
    bundleKey: res.body.server.bundleKey as string,
  };
}

const credentialsPath = (serial: string) => `/v1/station/devices/${serial}/credentials`;
const stateOf = async (serial: string) =>
  (await api.db.prisma.device.findUniqueOrThrow({ where: { serial } })).state;

describe('a stolen API key without the signing key gets nothing', () => {
  it('unsigned, signed by another key, or after registering its own keys: 401/403 with codes, nothing downloaded', async () => {
    const victim = await enrolled('pop-victim');
    const { units } = await seedUnits(api.db.prisma, fixtures, 'POP', 1);
    const serial = units[0]!.serial;
    const unsigned = await stationRequest(api.app, 'get', credentialsPath(serial), victim.key, null);
    expect(unsigned.body).toMatchObject({ status: 401, code: 'SIGNATURE_MISSING' });
    const thief = newSigner();
    const forged = await stationRequest(api.app, 'get', credentialsPath(serial), victim.key, thief.signer);
    expect(forged.body).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    // The thief uploads keys of its own: they wait for approval, and sign nothing meanwhile.
    const theirs = newTestStation(victim.key);
    const replaced = await enrol(api.app, theirs);
    expect(replaced.status).toBe(202);
    expect(replaced.body.status).toBe('PENDING');
    const pending = await stationRequest(api.app, 'get', credentialsPath(serial), victim.key, theirs.signer);
    expect(pending.body).toMatchObject({ status: 403, code: 'STATION_KEY_PENDING' });
    const prefetch = `/v1/station/batches/${'00000000-0000-4000-8000-000000000000'}/credentials`;
    for (const path of ['/v1/station/batches', prefetch]) {
      const res = await stationRequest(api.app, 'get', path, victim.key, null);
      expect(res.body).toMatchObject({ status: 401, code: 'SIGNATURE_MISSING' });
    }
    expect(await stateOf(serial)).toBe('REGISTERED');
    // The real station still works with its enrolled key.
    expect(
      (await stationRequest(api.app, 'get', credentialsPath(serial), victim.key, victim.signer)).status,
    ).toBe(200);
  });
});

describe('key replacement needs an ADMIN approval', () => {
  it('shows the pending fingerprints, refuses wrong ones, then switches keys; all audited', async () => {
    const station = await enrolled('rekey');
    const next = newTestStation(station.key, 'p256', 'p256');
    const asked = await enrol(api.app, next);
    expect(asked.status).toBe(202);
    const view = await request(api.app).get('/v1/stations/rekey').set(api.auth(api.keys.admin));
    expect(view.body.pending).toMatchObject({
      fingerprint: asked.body.fingerprint,
      signingFingerprint: asked.body.signingFingerprint,
    });
    expect(view.body.active.signingFingerprint).toBe(station.signer.keyId);
    const approve = (body: object) =>
      request(api.app).post('/v1/stations/rekey/key/approve').set(api.auth(api.keys.admin)).send(body);
    const wrong = await approve({
      fingerprint: asked.body.fingerprint,
      signingFingerprint: station.signer.keyId,
    });
    expect(wrong.body).toMatchObject({ status: 409, code: 'FINGERPRINT_MISMATCH' });
    // A station cannot approve itself.
    expect(
      (
        await stationRequest(
          api.app,
          'post',
          '/v1/stations/rekey/key/approve',
          station.key,
          station.signer,
          {},
        )
      ).status,
    ).toBe(403);
    const ok = await approve({
      fingerprint: asked.body.fingerprint,
      signingFingerprint: asked.body.signingFingerprint,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.pending).toBeNull();
    expect(ok.body.active.signingFingerprint).toBe(next.signer.keyId);
    expect(
      (await stationRequest(api.app, 'get', '/v1/station/batches', station.key, station.signer)).body.code,
    ).toBe('SIGNATURE_INVALID');
    expect(
      (await stationRequest(api.app, 'get', '/v1/station/batches', station.key, next.signer)).status,
    ).toBe(200);
    expect(
      (
        await approve({
          fingerprint: asked.body.fingerprint,
          signingFingerprint: asked.body.signingFingerprint,
        })
      ).body.code,
    ).toBe('NO_PENDING_KEY');
    const actions = (
      await api.db.prisma.auditEvent.findMany({ where: { details: { path: ['name'], equals: 'rekey' } } })
    ).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['station.key-replacement-approved']));
    expect(
      await api.db.prisma.auditEvent.count({
        where: { action: 'station.key-replacement-requested', actor: 'station:rekey' },
      }),
    ).toBe(1);
  });
});

describe('replay and staleness', () => {
  it('refuses a replayed request, also on another API process sharing Redis, and a stale or future one', async () => {
    const station = await enrolled('replay');
    const headers = await station.signer.sign({ method: 'GET', url: 'http://x/v1/station/batches' });
    const send = (app: typeof api.app) =>
      request(app).get('/v1/station/batches').set(api.auth(station.key)).set(headers);
    expect((await send(api.app)).status).toBe(200);
    expect((await send(api.app)).body).toMatchObject({ status: 401, code: 'SIGNATURE_REPLAYED' });
    const other = createApp(api.deps); // a second API process: same database and Redis
    expect((await send(other)).body.code).toBe('SIGNATURE_REPLAYED');
    const old = await station.signer.sign({
      method: 'GET',
      url: 'http://x/v1/station/batches',
      created: new Date(Date.now() - 301_000),
    });
    expect(
      (await request(api.app).get('/v1/station/batches').set(api.auth(station.key)).set(old)).body,
    ).toMatchObject({
      status: 401,
      code: 'SIGNATURE_STALE',
    });
    const future = await station.signer.sign({
      method: 'GET',
      url: 'http://x/v1/station/batches',
      created: new Date(Date.now() + 120_000),
    });
    expect(
      (await request(api.app).get('/v1/station/batches').set(api.auth(station.key)).set(future)).body.code,
    ).toBe('SIGNATURE_STALE');
  });

  it('refuses a signature made for another path, or a body other than the one digested', async () => {
    const station = await enrolled('covered');
    const { units } = await seedUnits(api.db.prisma, fixtures, 'COV', 1);
    const elsewhere = await station.signer.sign({ method: 'GET', url: 'http://x/v1/station/batches' });
    const moved = await request(api.app)
      .get(credentialsPath(units[0]!.serial))
      .set(api.auth(station.key))
      .set(elsewhere);
    expect(moved.body.code).toBe('SIGNATURE_INVALID');
    const path = `/v1/station/devices/${units[0]!.serial}/confirm`;
    const signed = await station.signer.sign({
      method: 'POST',
      url: `http://x${path}`,
      body: JSON.stringify({ result: 'failed', burnLogSha256: 'a'.repeat(64) }),
    });
    const swapped = await request(api.app)
      .post(path)
      .set(api.auth(station.key))
      .set(signed)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ result: 'ok', burnLogSha256: 'a'.repeat(64) }));
    expect(swapped.body).toMatchObject({ status: 401, code: 'CONTENT_DIGEST_MISMATCH' });
  });
});

describe('revocation takes effect on the next request', () => {
  it('a revoked station and a revoked API key are refused', async () => {
    const station = await enrolled('revoke-me');
    const { units } = await seedUnits(api.db.prisma, fixtures, 'REV', 2);
    expect(
      (await stationRequest(api.app, 'get', credentialsPath(units[0]!.serial), station.key, station.signer))
        .status,
    ).toBe(200);
    const revoked = await request(api.app)
      .post('/v1/stations/revoke-me/revoke')
      .set(api.auth(api.keys.admin));
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const after = await stationRequest(
      api.app,
      'get',
      credentialsPath(units[1]!.serial),
      station.key,
      station.signer,
    );
    expect(after.body).toMatchObject({ status: 403, code: 'STATION_REVOKED' });
    expect(await stateOf(units[1]!.serial)).toBe('REGISTERED');

    const other = await enrolled('key-revoke');
    expect(
      (await stationRequest(api.app, 'get', '/v1/station/batches', other.key, other.signer)).status,
    ).toBe(200);
    const gone = await request(api.app)
      .post(`/v1/api-keys/${other.prefix}/revoke`)
      .set(api.auth(api.keys.admin));
    expect(gone.body).toMatchObject({ prefix: other.prefix, role: 'STATION' });
    expect(
      (await stationRequest(api.app, 'get', '/v1/station/batches', other.key, other.signer)).body,
    ).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(
      (await request(api.app).post('/v1/api-keys/000000000000/revoke').set(api.auth(api.keys.admin))).body
        .code,
    ).toBe('API_KEY_NOT_FOUND');
    expect(
      await api.db.prisma.auditEvent.count({
        where: { action: { in: ['station.revoke', 'api-key.revoke'] } },
      }),
    ).toBe(2);
  });
});

describe('signed bundles', () => {
  it('every bundle verifies with the server key given at enrolment, and no longer does once changed', async () => {
    const station = await enrolled('bundles');
    const { units, batchId } = await seedUnits(api.db.prisma, fixtures, 'BND', 2);
    const one = await stationRequest(
      api.app,
      'get',
      credentialsPath(units[0]!.serial),
      station.key,
      station.signer,
    );
    const page = await stationRequest(
      api.app,
      'get',
      `/v1/station/batches/${batchId}/credentials`,
      station.key,
      station.signer,
    );
    const serverKey = createPublicKey(station.bundleKey);
    for (const bundle of [one.body, ...page.body.items]) {
      expect(verifyBundle(bundle, serverKey, new Date())).toEqual({ ok: true });
      expect(verifyBundle({ ...bundle, endpoint: 'evil.example:8883' }, serverKey).ok).toBe(false);
      expect(verifyBundle({ ...bundle, caPem: 'x' }, serverKey).ok).toBe(false);
    }
    expect(verifyBundle(one.body, serverKey, new Date(Date.now() + 301_000))).toMatchObject({ ok: false });
    const { bundleSignature: _s, ...unsigned } = one.body;
    expect(verifyBundle(unsigned, serverKey)).toMatchObject({
      ok: false,
      reason: 'the bundle is not signed',
    });
    expect(verifyBundle(one.body, createPublicKey(newSigner().publicPem))).toMatchObject({ ok: false });
    // One key for every API process: a second app signs with the same one.
    const second = createApp(api.deps);
    const again = await stationRequest(
      second,
      'get',
      credentialsPath(units[0]!.serial),
      station.key,
      station.signer,
    );
    expect(again.body.bundleSignature.keyId).toBe(one.body.bundleSignature.keyId);
  });
});
