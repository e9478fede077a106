import request from 'supertest';
import { createApiKey } from '../src/index.js';
import fs from 'node:fs';
import { batchBody, startTestApi, type TestApi } from './helpers.js';
import { createStationFixtures, type StationFixtures } from './station-fixtures.js';
import { enrol, newTestStation, stationRequest } from './station-signing.js';

let api: TestApi;
let fixtures: StationFixtures;
let otherMes: string;
let batchId: string;

beforeAll(async () => {
  // The station fixtures (vault key, device CA, endpoint): a station enrols and lists batches below.
  fixtures = createStationFixtures();
  api = await startTestApi({
    ...fixtures.env,
    API_ANON_RATE_LIMIT_PER_MINUTE: '4',
    API_TRUST_PROXY: 'loopback',
    API_STATIONS_SERVE_ANY_BATCH: 'false',
  });
  otherMes = (await createApiKey(api.db.prisma, { name: 'other MES', role: 'MES' })).key;
  const res = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['LP-1', 'LP-2']));
  expect(res.status).toBe(202);
  batchId = res.body.id;
});
afterAll(async () => {
  await api.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

describe('batches belong to the key that created them', () => {
  it('another MES key gets 404 on every batch route and on its devices; the list leaves it out', async () => {
    const as = (key: string) => api.auth(key);
    for (const [method, path] of [
      ['get', `/v1/batches/${batchId}`],
      ['get', `/v1/batches/${batchId}/devices`],
      ['get', `/v1/batches/${batchId}/report`],
      ['get', `/v1/batches/${batchId}/events`],
      ['post', `/v1/batches/${batchId}/cancel`],
      ['post', `/v1/batches/${batchId}/retry`],
      ['post', `/v1/batches/${batchId}/requeue`],
    ] as const) {
      const res = await request(api.app)[method](path).set(as(otherMes));
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'BATCH_NOT_FOUND']);
    }
    const device = await request(api.app).get('/v1/devices/LP-1').set(as(otherMes));
    expect([device.status, device.body.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
    const list = await request(api.app).get('/v1/batches').set(as(otherMes));
    expect(list.body.total).toBe(0);
    expect(await api.db.prisma.device.count({ where: { batchId, state: 'QUEUED' } })).toBe(2);
  });

  it('the owner, VIEWER and ADMIN see it', async () => {
    for (const key of [api.keys.mes, api.keys.viewer, api.keys.admin]) {
      expect((await request(api.app).get(`/v1/batches/${batchId}`).set(api.auth(key))).status).toBe(200);
      expect((await request(api.app).get('/v1/devices/LP-1').set(api.auth(key))).status).toBe(200);
    }
  });
});

describe('stations serve only batches assigned to them (default)', () => {
  it('an unassigned batch is not listed for a station until it is assigned', async () => {
    // The station enrols its keys; every request after is signed (issue 13).
    const station = newTestStation(api.keys.station);
    expect((await enrol(api.app, station)).status).toBe(200);
    const ids = async () =>
      (
        await stationRequest(api.app, 'get', '/v1/station/batches', station.key, station.signer)
      ).body.items.map((b: { id: string }) => b.id);
    expect(await ids()).not.toContain(batchId);
    const assigned = await request(api.app)
      .post(`/v1/batches/${batchId}/stations`)
      .set(api.auth(api.keys.admin))
      .send({ stations: ['line-1'] });
    expect(assigned.status).toBe(200);
    expect(await ids()).toContain(batchId);
  });
});

describe('unauthenticated traffic is limited per client address', () => {
  it('counts public routes, unknown paths and refused keys, not valid keys', async () => {
    const from = (ip: string) => ({ 'X-Forwarded-For': ip });
    expect((await request(api.app).get('/healthz').set(from('192.0.2.1'))).status).toBe(200);
    expect((await request(api.app).get('/nope').set(from('192.0.2.1'))).status).toBe(404);
    const refused = await request(api.app)
      .get('/v1/templates')
      .set(from('192.0.2.1'))
      .set('Authorization', 'Bearer cl_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    expect(refused.status).toBe(401);
    expect((await request(api.app).get('/openapi.json').set(from('192.0.2.1'))).status).toBe(200);
    const limited = await request(api.app).get('/healthz').set(from('192.0.2.1'));
    expect([limited.status, limited.body.code]).toEqual([429, 'RATE_LIMITED_ADDRESS']);
    const keyed = await request(api.app)
      .get('/v1/templates')
      .set(from('192.0.2.1'))
      .set(api.auth(api.keys.mes));
    expect(keyed.status).toBe(200);
    // Another address (as the trusted loopback proxy reports it) has its own budget.
    expect((await request(api.app).get('/healthz').set(from('192.0.2.2'))).status).toBe(200);
  });
});

describe('trust proxy and the admin cookie', () => {
  it('sets Secure on the session cookie when the trusted proxy says the request came over TLS', async () => {
    const tls = await request(api.app)
      .post('/admin/session')
      .set('X-Forwarded-Proto', 'https')
      .set(api.auth(api.keys.admin));
    expect(tls.status).toBe(204);
    expect(tls.headers['set-cookie']![0]).toMatch(/; Secure/);
  });

  it('ignores X-Forwarded-* when API_TRUST_PROXY is false (the default)', async () => {
    const plain = await startTestApi();
    try {
      const res = await request(plain.app)
        .post('/admin/session')
        .set('X-Forwarded-Proto', 'https')
        .set(plain.auth(plain.keys.admin));
      expect(res.status).toBe(204);
      expect(res.headers['set-cookie']![0]).not.toMatch(/Secure/);
    } finally {
      await plain.close();
    }
  });
});
