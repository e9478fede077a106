import fs from 'node:fs';
import request from 'supertest';
import { createLogger } from '@claimline/logger';
import { openSealed, type SealedPayload } from '@claimline/station-crypto';
import { startShredSweep } from '../src/services/station/shred.js';
import { createStationFixtures, seedUnits, type StationFixtures } from './station-fixtures.js';
import { enrol, newTestStation, stationRequest, type TestStation } from './station-signing.js';
import { startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
let fixtures: StationFixtures;
let stationA: TestStation;
let stationB: TestStation;
/** Each station key's signer: requests below are signed as the station client signs them. */
const signers = new Map<string, TestStation>();
let keyA: string;
let keyB: string;
let idA: string;

beforeAll(async () => {
  fixtures = createStationFixtures();
  api = await startTestApi(fixtures.env);
  const register = async (name: string) => {
    const res = await request(api.app)
      .post('/v1/stations')
      .set(api.auth(api.keys.admin))
      .send({ name, line: 'L1' });
    expect(res.status).toBe(201);
    return res.body as { station: { id: string }; apiKey: { key: string } };
  };
  const a = await register('st-a');
  const b = await register('st-b');
  keyA = a.apiKey.key;
  keyB = b.apiKey.key;
  idA = a.station.id;
  stationA = newTestStation(keyA, 'x25519', 'ed25519');
  stationB = newTestStation(keyB, 'p256', 'p256');
  for (const station of [stationA, stationB]) {
    signers.set(station.key, station);
    const res = await enrol(api.app, station);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ACTIVE');
  }
});
afterAll(async () => {
  await api.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

const signerOf = (key: string) => signers.get(key)?.signer ?? null;
const get = (path: string, key: string) =>
  path.startsWith('/v1/station/')
    ? stationRequest(api.app, 'get', path, key, signerOf(key))
    : request(api.app).get(path).set(api.auth(key));
const confirm = (serial: string, key: string, result: 'ok' | 'failed' = 'ok') =>
  stationRequest(api.app, 'post', `/v1/station/devices/${serial}/confirm`, key, signerOf(key), {
    result,
    burnLogSha256: 'a'.repeat(64),
  });

describe('roles', () => {
  it('a station key cannot call MES endpoints, an MES key cannot call station endpoints, an ADMIN key has no station', async () => {
    expect((await get('/v1/batches', keyA)).status).toBe(403);
    expect((await request(api.app).post('/v1/batches').set(api.auth(keyA)).send({})).status).toBe(403);
    expect((await request(api.app).post('/v1/stations').set(api.auth(keyA)).send({ name: 'x' })).status).toBe(
      403,
    );
    expect((await get('/v1/station/batches', api.keys.mes)).status).toBe(403);
    const admin = await get('/v1/station/batches', api.keys.admin);
    expect(admin.status).toBe(403);
    expect(admin.body.code).toBe('NOT_A_STATION');
  });

  it('refuses a duplicate station and a public key that is not X25519/P-256', async () => {
    expect(
      (await request(api.app).post('/v1/stations').set(api.auth(api.keys.admin)).send({ name: 'st-a' })).body
        .code,
    ).toBe('STATION_EXISTS');
    const rsa = await enrol(api.app, {
      ...stationA,
      seal: { ...stationA.seal, publicPem: 'not a key' },
    });
    expect(rsa.status).toBe(422);
    expect(rsa.body.code).toBe('INVALID_PUBLIC_KEY');
  });
});

describe('credential download', () => {
  it('seals the key to the station, marks the unit DOWNLOADED and audits station, time and address', async () => {
    const { units, batchId } = await seedUnits(api.db.prisma, fixtures, 'DL', 1);
    const unit = units[0]!;
    const res = await get(`/v1/station/devices/${unit.serial}/credentials`, keyA);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      serial: unit.serial,
      batchId,
      thingName: `unit-${unit.serial}`,
      certificateId: unit.certificateId,
      endpoint: 'iot.example.test:8883',
      stationId: idA,
    });
    expect(res.body.caPem).toContain('BEGIN CERTIFICATE');
    expect(res.text).not.toContain('PRIVATE KEY');
    const opened = await openSealed(res.body.sealedPrivateKey, stationA.seal.privateKey, {
      serial: unit.serial,
      certificateId: unit.certificateId,
      stationId: idA,
    });
    expect(opened.toString()).toBe(unit.keyPem);
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: unit.serial } });
    expect(device).toMatchObject({ state: 'DOWNLOADED', downloadedByStationId: idA });
    expect(device.downloadedAt).toBeInstanceOf(Date);
    const events = await api.db.prisma.auditEvent.findMany({
      where: { deviceId: device.id, action: 'station.download' },
    });
    expect(events).toEqual([expect.objectContaining({ actor: 'station:st-a', origin: expect.any(String) })]);
    // Downloading again from the same station is allowed (a re-scan) and audited again.
    expect((await get(`/v1/station/devices/${unit.serial}/credentials`, keyA)).status).toBe(200);
    expect(
      await api.db.prisma.auditEvent.count({ where: { deviceId: device.id, action: 'station.download' } }),
    ).toBe(2);
  });

  it('a tampered sealed payload fails to open', async () => {
    const { units } = await seedUnits(api.db.prisma, fixtures, 'TA', 1);
    const res = await get(`/v1/station/devices/${units[0]!.serial}/credentials`, keyA);
    const sealed = res.body.sealedPrivateKey as SealedPayload;
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[10] = ct[10]! ^ 0x80;
    const binding = { serial: units[0]!.serial, certificateId: units[0]!.certificateId, stationId: idA };
    expect(sealed).toMatchObject({ v: 2, suite: 'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM' });
    await expect(
      openSealed({ ...sealed, ct: ct.toString('base64') }, stationA.seal.privateKey, binding),
    ).rejects.toThrow(/failed authentication/);
    await expect(openSealed(sealed, stationB.seal.privateKey, binding)).rejects.toThrow();
  });

  it('a second station is refused with 409 until an admin reassigns the unit', async () => {
    const { units } = await seedUnits(api.db.prisma, fixtures, 'RE', 1);
    const serial = units[0]!.serial;
    expect((await get(`/v1/station/devices/${serial}/credentials`, keyA)).status).toBe(200);
    const refused = await get(`/v1/station/devices/${serial}/credentials`, keyB);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DEVICE_DOWNLOADED_BY_OTHER_STATION');
    expect((await confirm(serial, keyB)).body.code).toBe('DEVICE_DOWNLOADED_BY_OTHER_STATION');
    expect((await request(api.app).post(`/v1/devices/${serial}/reassign`).set(api.auth(keyA))).status).toBe(
      403,
    );
    const reassigned = await request(api.app)
      .post(`/v1/devices/${serial}/reassign`)
      .set(api.auth(api.keys.admin));
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ state: 'REGISTERED', previousStationId: idA });
    const b = await get(`/v1/station/devices/${serial}/credentials`, keyB);
    expect(b.status).toBe(200);
    expect(b.body.sealedPrivateKey.suite).toBe('DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM');
    expect((await get(`/v1/station/devices/${serial}/credentials`, keyA)).body.code).toBe(
      'DEVICE_DOWNLOADED_BY_OTHER_STATION',
    );
  });

  it('names each refusal an operator can act on', async () => {
    expect((await get('/v1/station/devices/NOPE/credentials', keyA)).body).toMatchObject({
      status: 404,
      code: 'DEVICE_NOT_FOUND',
    });
    const queued = await seedUnits(api.db.prisma, fixtures, 'QU', 1, 'QUEUED');
    expect(
      (await get(`/v1/station/devices/${queued.units[0]!.serial}/credentials`, keyA)).body,
    ).toMatchObject({ status: 409, code: 'DEVICE_NOT_PROVISIONED', state: 'QUEUED' });
    const fresh = await request(api.app)
      .post('/v1/stations')
      .set(api.auth(api.keys.admin))
      .send({ name: 'st-nokey' });
    const { units } = await seedUnits(api.db.prisma, fixtures, 'NK', 1);
    expect(
      (await get(`/v1/station/devices/${units[0]!.serial}/credentials`, fresh.body.apiKey.key)).body,
    ).toMatchObject({ status: 409, code: 'STATION_NO_PUBLIC_KEY' });
  });

  it('serves only stations assigned to the batch once a batch has assignments', async () => {
    const { units, batchId } = await seedUnits(api.db.prisma, fixtures, 'AS', 2);
    const assigned = await request(api.app)
      .post(`/v1/batches/${batchId}/stations`)
      .set(api.auth(api.keys.admin))
      .send({ stations: ['st-b'] });
    expect(assigned.body).toEqual({ batchId, stations: ['st-b'] });
    expect(
      (
        await request(api.app)
          .post(`/v1/batches/${batchId}/stations`)
          .set(api.auth(api.keys.admin))
          .send({ stations: ['ghost'] })
      ).body.code,
    ).toBe('STATION_NOT_FOUND');
    expect((await get(`/v1/station/devices/${units[0]!.serial}/credentials`, keyA)).body).toMatchObject({
      status: 403,
      code: 'STATION_NOT_ASSIGNED',
    });
    expect((await get(`/v1/station/devices/${units[0]!.serial}/credentials`, keyB)).status).toBe(200);
    const listA = await get('/v1/station/batches', keyA);
    const listB = await get('/v1/station/batches', keyB);
    expect(listA.body.items.map((b: { id: string }) => b.id)).not.toContain(batchId);
    expect(listB.body.items.find((b: { id: string }) => b.id === batchId).counts).toMatchObject({
      total: 2,
      available: 1,
      downloadedHere: 1,
    });
  });
});

describe('burn confirmation', () => {
  it('BURNED shreds the key at once (certificate stays ACTIVE); the same confirmation twice is harmless', async () => {
    const { units } = await seedUnits(api.db.prisma, fixtures, 'BU', 1);
    const serial = units[0]!.serial;
    expect((await confirm(serial, keyA)).body.code).toBe('DEVICE_NOT_DOWNLOADED');
    await get(`/v1/station/devices/${serial}/credentials`, keyA);
    const first = await confirm(serial, keyA);
    expect(first.body).toEqual({ serial, state: 'BURNED', changed: true, keyShredded: true });
    const again = await confirm(serial, keyA);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ serial, state: 'BURNED', changed: false, keyShredded: false });
    const cert = await api.db.prisma.certificate.findUniqueOrThrow({
      where: { certificateId: units[0]!.certificateId },
    });
    expect(cert).toMatchObject({ status: 'ACTIVE', privateKeyCiphertext: null, privateKeyWrappedKey: null });
    expect(cert.shreddedAt).toBeInstanceOf(Date);
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial } });
    expect(device).toMatchObject({ state: 'BURNED', burnLogDigest: 'a'.repeat(64) });
    expect((await confirm(serial, keyA, 'failed')).body.code).toBe('DEVICE_ALREADY_BURNED');
    expect((await get(`/v1/station/devices/${serial}/credentials`, keyA)).body.code).toBe(
      'DEVICE_ALREADY_BURNED',
    );
    expect(
      (await request(api.app).post(`/v1/devices/${serial}/reassign`).set(api.auth(api.keys.admin))).body.code,
    ).toBe('DEVICE_ALREADY_BURNED');
  });

  it('a failed burn is audited with exit code, duration and digest; raw output in the detail is scrubbed', async () => {
    const { units } = await seedUnits(api.db.prisma, fixtures, 'SC', 1);
    const unit = units[0]!;
    await get(`/v1/station/devices/${unit.serial}/credentials`, keyA);
    // What a station of an older version would send: the programmer's raw last lines, key included.
    const keyBody = unit.keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const res = await stationRequest(
      api.app,
      'post',
      `/v1/station/devices/${unit.serial}/confirm`,
      keyA,
      signerOf(keyA),
      {
        result: 'failed',
        burnLogSha256: 'b'.repeat(64),
        exitCode: 3,
        durationMs: 1234,
        detail: `exit 3; writing key | ${unit.keyPem.replaceAll('\n', ' | ')} | flash write error`,
      },
    );
    expect(res.status).toBe(200);
    const [event] = await api.db.prisma.auditEvent.findMany({
      where: { action: 'station.burn-failed', device: { serial: unit.serial } },
    });
    expect(event?.details).toMatchObject({ burnLogSha256: 'b'.repeat(64), exitCode: 3, durationMs: 1234 });
    const stored = JSON.stringify(event, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(stored).toContain('flash write error');
    expect(stored).not.toContain('PRIVATE KEY');
    for (const line of keyBody) expect(stored).not.toContain(line.slice(0, 16));
  });

  it('BURN_FAILED keeps the key for a retry; a later ok burns', async () => {
    const { units } = await seedUnits(api.db.prisma, fixtures, 'BF', 1);
    const serial = units[0]!.serial;
    await get(`/v1/station/devices/${serial}/credentials`, keyA);
    expect((await confirm(serial, keyA, 'failed')).body).toMatchObject({
      state: 'BURN_FAILED',
      changed: true,
    });
    expect((await confirm(serial, keyA, 'failed')).body).toMatchObject({
      state: 'BURN_FAILED',
      changed: false,
    });
    expect((await get(`/v1/station/devices/${serial}/credentials`, keyA)).status).toBe(200);
    expect((await confirm(serial, keyA, 'ok')).body).toMatchObject({
      state: 'BURNED',
      changed: true,
      keyShredded: true,
    });
  });
});

it('prefetch pages through a batch, marks every unit DOWNLOADED and audits each', async () => {
  const { units, batchId } = await seedUnits(api.db.prisma, fixtures, 'PF', 5);
  // One unit taken by another station first: prefetch skips it.
  await get(`/v1/station/devices/${units[4]!.serial}/credentials`, keyB);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await get(
      `/v1/station/batches/${batchId}/credentials?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      keyA,
    );
    expect(res.status).toBe(200);
    for (const item of res.body.items) {
      await openSealed(item.sealedPrivateKey, stationA.seal.privateKey, {
        serial: item.serial,
        certificateId: item.certificateId,
        stationId: idA,
      });
      seen.push(item.serial);
    }
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(seen.sort()).toEqual(units.slice(0, 4).map((u) => u.serial));
  const audited = await api.db.prisma.auditEvent.count({
    where: { batchId, action: 'station.download', actor: 'station:st-a' },
  });
  expect(audited).toBe(4);
});

describe('retention', () => {
  it('with a retention, the key survives the confirmation and the sweep shreds it afterwards', async () => {
    const retained = await startTestApi({ ...fixtures.env, API_KEY_RETENTION_SECONDS: '1' });
    try {
      const reg = await request(retained.app)
        .post('/v1/stations')
        .set(retained.auth(retained.keys.admin))
        .send({ name: 'st-r' });
      const station = newTestStation(reg.body.apiKey.key as string);
      await enrol(retained.app, station);
      const { units } = await seedUnits(retained.db.prisma, fixtures, 'RT', 1);
      const serial = units[0]!.serial;
      const path = `/v1/station/devices/${serial}`;
      await stationRequest(retained.app, 'get', `${path}/credentials`, station.key, station.signer);
      const res = await stationRequest(retained.app, 'post', `${path}/confirm`, station.key, station.signer, {
        result: 'ok',
        burnLogSha256: 'b'.repeat(64),
      });
      expect(res.body).toMatchObject({ state: 'BURNED', keyShredded: false });
      const sweep = startShredSweep(
        retained.db.prisma,
        createLogger({ name: 't', level: 'silent' }),
        1,
        3600,
      );
      expect(await sweep.runOnce()).toBe(0);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await sweep.runOnce()).toBe(1);
      sweep.stop();
      const cert = await retained.db.prisma.certificate.findUniqueOrThrow({
        where: { certificateId: units[0]!.certificateId },
      });
      expect(cert).toMatchObject({
        status: 'ACTIVE',
        privateKeyCiphertext: null,
        privateKeyWrappedKey: null,
      });
      expect(
        await retained.db.prisma.auditEvent.count({ where: { action: 'certificate.key-shredded' } }),
      ).toBe(1);
    } finally {
      await retained.close();
    }
  });
});

it('answers 503 CREDENTIALS_UNAVAILABLE, naming the setting, when the device CA is missing', async () => {
  const broken = await startTestApi({ ...fixtures.env, API_DEVICE_CA_PATH: '/nonexistent/ca.pem' });
  try {
    const reg = await request(broken.app)
      .post('/v1/stations')
      .set(broken.auth(broken.keys.admin))
      .send({ name: 'st-x' });
    const station = newTestStation(reg.body.apiKey.key as string);
    await enrol(broken.app, station);
    const { units } = await seedUnits(broken.db.prisma, fixtures, 'NC', 1);
    const res = await stationRequest(
      broken.app,
      'get',
      `/v1/station/devices/${units[0]!.serial}/credentials`,
      station.key,
      station.signer,
    );
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(res.body.detail).toContain('API_DEVICE_CA_PATH');
    expect(
      (await broken.db.prisma.device.findUniqueOrThrow({ where: { serial: units[0]!.serial } })).state,
    ).toBe('REGISTERED');
  } finally {
    await broken.close();
  }
});
