import fs from 'node:fs';
import request from 'supertest';
import { createStationFixtures, type StationFixtures } from './station-fixtures.js';
import { enrol, newTestStation, stationRequest, type TestStation } from './station-signing.js';
import { startTestApi, type TestApi } from './helpers.js';
import { tamperedSignature, unitCsr } from './unit-csr-fixtures.js';

let api: TestApi;
let fixtures: StationFixtures;
let station: TestStation;

beforeAll(async () => {
  fixtures = createStationFixtures();
  api = await startTestApi({ ...fixtures.env, API_CSR_MAX_BYTES: '2048' });
  const res = await request(api.app)
    .post('/v1/stations')
    .set(api.auth(api.keys.admin))
    .send({ name: 'st-csr', line: 'L1' });
  station = newTestStation(res.body.apiKey.key);
  expect((await enrol(api.app, station)).status).toBe(200);
});
afterAll(async () => {
  await api.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

async function createBatch(prefix: string, n: number, mode: 'device-csr' | 'csr' = 'device-csr') {
  const res = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send({
      externalRef: `WO-${prefix}`,
      templateName: 'claimline-default',
      payloadFormat: 'json',
      mode,
      devices: Array.from({ length: n }, (_, i) => ({ serial: `${prefix}${String(i).padStart(4, '0')}` })),
    });
  expect(res.status).toBe(202);
  return res.body as { id: string; enqueued: number };
}

const postCsr = (serial: string, csrPem: string, signed = true) =>
  stationRequest(
    api.app,
    'post',
    `/v1/station/devices/${serial}/csr`,
    station.key,
    signed ? station.signer : null,
    {
      csrPem,
    },
  );

describe('device-csr batches', () => {
  it('creates units AWAITING_CSR with no job, and counts them as not done', async () => {
    const batch = await createBatch('DCA', 3);
    expect(batch.enqueued).toBe(0);
    expect(await api.queues.provisioning.count()).toBe(0);
    const detail = await request(api.app).get(`/v1/batches/${batch.id}`).set(api.auth(api.keys.mes));
    expect(detail.body.mode).toBe('device-csr');
    expect(detail.body.progress.counts).toEqual({ AWAITING_CSR: 3 });
    expect(detail.body.progress.done).toBe(0);
    expect(detail.body.progress.finished).toBe(false);
    const batches = await stationRequest(api.app, 'get', '/v1/station/batches', station.key, station.signer);
    expect(batches.body.items.find((b: { id: string }) => b.id === batch.id).counts.awaitingCsr).toBe(3);
    const creds = await stationRequest(
      api.app,
      'get',
      '/v1/station/devices/DCA0000/credentials',
      station.key,
      station.signer,
    );
    expect([creds.status, creds.body.code]).toEqual([409, 'DEVICE_AWAITING_CSR']);
  });

  it('stores a good CSR, audits it, and enqueues the job at the top priority', async () => {
    await createBatch('DCB', 1);
    const csr = await unitCsr('DCB0000');
    const res = await postCsr('DCB0000', csr);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ serial: 'DCB0000', state: 'QUEUED', generation: 0 });
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'DCB0000' } });
    expect(device.csrPem?.trim()).toBe(csr.trim());
    const jobs = await api.queues.provisioning.getJobs(['prioritized', 'waiting']);
    const job = jobs.find((j) => j.data.serial === 'DCB0000');
    expect(job?.opts.priority).toBe(1);
    const audit = await api.db.prisma.auditEvent.findFirst({
      where: { deviceId: device.id, action: 'device.csr-received' },
    });
    expect(audit?.actor).toBe('station:st-csr');
    expect(audit?.details).toMatchObject({ keyType: 'ec-p256' });
  });

  it('gives each bad input its own code', async () => {
    await createBatch('DCC', 8);
    await createBatch('DCN', 1, 'csr');
    const cases: [string, string, () => Promise<request.Response>][] = [
      ['garbage', 'CSR_MALFORMED', () => postCsr('DCC0000', 'hello, I am not a CSR')],
      [
        'garbage inside PEM armour',
        'CSR_MALFORMED',
        () =>
          postCsr(
            'DCC0000',
            '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
          ),
      ],
      [
        'wrong key type',
        'CSR_KEY_TYPE_NOT_ALLOWED',
        async () => postCsr('DCC0001', await unitCsr('DCC0001', 'p384')),
      ],
      [
        'short RSA',
        'CSR_KEY_TYPE_NOT_ALLOWED',
        async () => postCsr('DCC0001', await unitCsr('DCC0001', 'rsa1024')),
      ],
      [
        'bad signature',
        'CSR_SIGNATURE_INVALID',
        async () => postCsr('DCC0002', tamperedSignature(await unitCsr('DCC0002'))),
      ],
      ['CN mismatch', 'CSR_SUBJECT_MISMATCH', async () => postCsr('DCC0003', await unitCsr('DCC9999'))],
      [
        'not a device-csr batch',
        'CSR_NOT_EXPECTED',
        async () => postCsr('DCN0000', await unitCsr('DCN0000')),
      ],
      [
        'oversized',
        'CSR_TOO_LARGE',
        async () => postCsr('DCC0004', `${await unitCsr('DCC0004')}${' '.repeat(3000)}`),
      ],
      ['unsigned', 'SIGNATURE_MISSING', async () => postCsr('DCC0005', await unitCsr('DCC0005'), false)],
      ['unknown unit', 'DEVICE_NOT_FOUND', async () => postCsr('NOSUCH01', await unitCsr('NOSUCH01'))],
    ];
    const seen = new Map<string, number>();
    for (const [name, code, send] of cases) {
      const res = await send();
      expect({ name, code: res.body.code }).toEqual({ name, code });
      seen.set(code, res.status);
    }
    expect(Object.fromEntries(seen)).toEqual({
      CSR_MALFORMED: 422,
      CSR_KEY_TYPE_NOT_ALLOWED: 422,
      CSR_SIGNATURE_INVALID: 422,
      CSR_SUBJECT_MISMATCH: 422,
      CSR_NOT_EXPECTED: 409,
      CSR_TOO_LARGE: 413,
      SIGNATURE_MISSING: 401,
      DEVICE_NOT_FOUND: 404,
    });
    // None of them changed a unit or enqueued anything.
    const states = await api.db.prisma.device.groupBy({
      by: ['state'],
      where: { serial: { startsWith: 'DCC' } },
      _count: true,
    });
    expect(states).toEqual([{ state: 'AWAITING_CSR', _count: 8 }]);
  });

  it('refuses a second CSR until an ADMIN reprovisions the unit (back to AWAITING_CSR, no job)', async () => {
    await createBatch('DCD', 1);
    expect((await postCsr('DCD0000', await unitCsr('DCD0000'))).status).toBe(202);
    const second = await postCsr('DCD0000', await unitCsr('DCD0000'));
    expect([second.status, second.body.code, second.body.state]).toEqual([
      409,
      'CSR_ALREADY_RECEIVED',
      'QUEUED',
    ]);
    // As if the worker had failed it: an ADMIN reprovisions, and the unit waits for a new CSR.
    await api.db.prisma.device.update({ where: { serial: 'DCD0000' }, data: { state: 'FAILED' } });
    const jobsBefore = await api.queues.provisioning.count();
    const re = await request(api.app).post('/v1/devices/DCD0000/reprovision').set(api.auth(api.keys.admin));
    expect([re.status, re.body.state]).toEqual([202, 'AWAITING_CSR']);
    expect(await api.queues.provisioning.count()).toBe(jobsBefore);
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'DCD0000' } });
    expect(device.csrPem).toBeNull();
    const third = await postCsr('DCD0000', await unitCsr('DCD0000'));
    expect([third.status, third.body.generation]).toEqual([202, 1]);
  });

  it("long-polls a unit being signed for at most waitSeconds, and names AWS's code for a FAILED one", async () => {
    await createBatch('DCF', 2);
    expect((await postCsr('DCF0000', await unitCsr('DCF0000'))).status).toBe(202);
    const started = Date.now();
    const pending = await stationRequest(
      api.app,
      'get',
      '/v1/station/devices/DCF0000/credentials?waitSeconds=1',
      station.key,
      station.signer,
    );
    // No worker runs here: the unit stays QUEUED, and the answer comes when the wait is over.
    expect([pending.status, pending.body.code, pending.body.state]).toEqual([
      409,
      'DEVICE_NOT_PROVISIONED',
      'QUEUED',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    await api.db.prisma.device.update({
      where: { serial: 'DCF0001' },
      data: { state: 'FAILED', lastErrorCode: 'InvalidCsr' },
    });
    const failed = await stationRequest(
      api.app,
      'get',
      '/v1/station/devices/DCF0001/credentials?waitSeconds=5',
      station.key,
      station.signer,
    );
    expect([failed.status, failed.body.state, failed.body.errorCode]).toEqual([409, 'FAILED', 'InvalidCsr']);
  });

  it('lets the MES cancel units waiting for their CSR', async () => {
    const batch = await createBatch('DCE', 2);
    const res = await request(api.app).post(`/v1/batches/${batch.id}/cancel`).set(api.auth(api.keys.mes));
    expect(res.status).toBe(200);
    expect(res.body.affected).toBe(2);
    const late = await postCsr('DCE0000', await unitCsr('DCE0000'));
    expect([late.status, late.body.code]).toEqual([409, 'INVALID_DEVICE_STATE']);
  });
});
