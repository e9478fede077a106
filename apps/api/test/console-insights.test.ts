import request from 'supertest';
import { batchBody, startTestApi, type TestApi } from './helpers.js';

/** The read views the console needs: throughput over time, failures by code and orphans, stations. */

let api: TestApi;
let batchId: string;
let otherMesBatch: string;

beforeAll(async () => {
  api = await startTestApi();
  const created = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.admin))
    .send(batchBody(['IN-1', 'IN-2', 'IN-3', 'IN-4', 'IN-5', 'IN-6'], { externalRef: 'WO-INSIGHT' }));
  expect(created.status).toBe(202);
  batchId = created.body.id;
  const mine = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['IN-M1'], { externalRef: 'WO-MES-ONLY' }));
  otherMesBatch = mine.body.id;
  // Outcomes written directly: the worker and the stations are not under test here.
  await api.db.query(`UPDATE batch SET created_at = now() - interval '10 minutes' WHERE id = $1`, [batchId]);
  await api.db.query(`UPDATE device SET state = 'REGISTERED', registered_at = now() - interval '9 minutes'
                       WHERE serial IN ('IN-1', 'IN-2')`);
  await api.db.query(`UPDATE device SET state = 'FAILED', failed_at = now() - interval '2 minutes',
                        last_error_code = 'ThrottlingException', last_error_retryable = true
                       WHERE serial IN ('IN-3', 'IN-4')`);
  await api.db.query(`UPDATE device SET state = 'FAILED', failed_at = now() - interval '2 minutes',
                        last_error_code = 'InvalidRequestException', last_error_retryable = false
                       WHERE serial = 'IN-5'`);
  const orphanOwner = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'IN-5' } });
  await api.db.prisma.certificate.create({
    data: {
      certificateId: 'f'.repeat(64),
      deviceId: orphanOwner.id,
      certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      status: 'ORPHANED',
      orphanedAt: new Date(),
    },
  });
  const station = await api.db.prisma.station.findUniqueOrThrow({ where: { name: 'line-1' } });
  await api.db.query(
    `UPDATE device SET state = 'BURNED', downloaded_by_station_id = $1::uuid, downloaded_at = now(),
            burned_at = now() WHERE serial = 'IN-1'`,
    [station.id],
  );
  await api.db.query(
    `UPDATE device SET state = 'BURN_FAILED', downloaded_by_station_id = $1::uuid, downloaded_at = now(),
            burn_failed_at = now() WHERE serial = 'IN-2'`,
    [station.id],
  );
  for (const id of [batchId, otherMesBatch]) {
    const assigned = await request(api.app)
      .post(`/v1/batches/${id}/stations`)
      .set(api.auth(api.keys.admin))
      .send({ stations: ['line-1'] });
    expect(assigned.status).toBe(200);
  }
  await api.db.query(`UPDATE api_key SET last_used_at = now() WHERE station_id = $1::uuid`, [station.id]);
});
afterAll(() => api.close());

it('GET /v1/batches/:id/throughput: ended devices per bucket from the batch creation', async () => {
  const res = await request(api.app)
    .get(`/v1/batches/${batchId}/throughput?bucketSeconds=300`)
    .set(api.auth(api.keys.viewer));
  expect(res.status).toBe(200);
  expect(res.body.bucketSeconds).toBe(300);
  expect(
    res.body.buckets.map((b: { registered: number; failed: number }) => [b.registered, b.failed]),
  ).toEqual([
    [2, 0],
    [0, 3],
  ]);
  const bad = await request(api.app)
    .get(`/v1/batches/${batchId}/throughput?bucketSeconds=0`)
    .set(api.auth(api.keys.viewer));
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('VALIDATION_FAILED');
});

it('GET /v1/batches/:id/failures: FAILED devices by AWS error code, orphaned certificates by id', async () => {
  const res = await request(api.app).get(`/v1/batches/${batchId}/failures`).set(api.auth(api.keys.viewer));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    failed: 3,
    byCode: [
      { code: 'ThrottlingException', count: 2, retryable: true, serials: ['IN-3', 'IN-4'] },
      { code: 'InvalidRequestException', count: 1, retryable: false, serials: ['IN-5'] },
    ],
    orphanedCertificates: { total: 1, items: [{ certificateId: 'f'.repeat(64), serial: 'IN-5' }] },
  });
  expect(JSON.stringify(res.body)).not.toMatch(/BEGIN/);
});

it('an MES key sees neither the failures nor the throughput of a batch it did not create', async () => {
  for (const path of ['failures', 'throughput']) {
    const res = await request(api.app).get(`/v1/batches/${batchId}/${path}`).set(api.auth(api.keys.mes));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('BATCH_NOT_FOUND');
  }
});

it('GET /v1/stations: last seen, the last hour at the station, burn failures, assigned batches', async () => {
  const res = await request(api.app).get('/v1/stations').set(api.auth(api.keys.viewer));
  expect(res.status).toBe(200);
  const [station] = res.body.items;
  expect(station).toMatchObject({
    name: 'line-1',
    lastHour: { downloaded: 2, burned: 1, burnFailed: 1 },
    burnFailures: 1,
  });
  expect(Date.now() - Date.parse(station.lastSeenAt)).toBeLessThan(60_000);
  expect(station.assignedBatches.map((b: { externalRef: string }) => b.externalRef)).toEqual([
    'WO-INSIGHT',
    'WO-MES-ONLY',
  ]);
  // An MES key lists the stations but only the batches it owns.
  const mes = await request(api.app).get('/v1/stations').set(api.auth(api.keys.mes));
  expect(mes.body.items[0].assignedBatches).toEqual([
    { id: otherMesBatch, externalRef: 'WO-MES-ONLY', state: 'open' },
  ]);
  const station2 = await request(api.app).get('/v1/stations').set(api.auth(api.keys.station));
  expect(station2.status).toBe(403);
  expect(station2.body.code).toBe('FORBIDDEN');
});
