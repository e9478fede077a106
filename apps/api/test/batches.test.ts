import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { maintenanceJobId, provisionJobId } from '@claimline/jobs';
import { batchBody, serials, startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const post = (body: object, key = api.keys.mes) =>
  request(api.app).post('/v1/batches').set(api.auth(key)).send(body);

describe('POST /v1/batches', () => {
  it('accepts a batch, answers 202 with Location, stores devices, enqueues one job each, audits', async () => {
    const res = await post(
      batchBody(['A-1', 'A-2', 'A-3'], {
        priority: 70,
        templateParameters: {},
        mode: 'csr',
        keyAlgorithm: 'rsa-2048',
        payloadFormat: 'cbor',
      }),
    );
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/batches/${res.body.id}`);
    expect(res.body).toMatchObject({ requested: 3, created: 3, skipped: 0, skippedSerials: [], enqueued: 3 });
    const job = await api.queues.provisioning.getJob(provisionJobId('A-2'));
    expect(job?.data.serial).toBe('A-2');
    const batch = await api.db.prisma.batch.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(batch).toMatchObject({
      mode: 'CSR',
      keyAlgorithm: 'RSA_2048',
      payloadFormat: 'CBOR',
      priority: 70,
    });
    const events = await api.db.prisma.auditEvent.findMany({ where: { batchId: res.body.id } });
    expect(events).toEqual([
      expect.objectContaining({
        action: 'batch.create',
        actor: expect.stringMatching(/^apikey:[0-9a-f]{12}$/),
      }),
    ]);
    expect(events[0]!.origin).toBeTruthy();
  });

  it('skips existing serials with skipExisting and lists them', async () => {
    const res = await post(batchBody(['A-1', 'B-1'], { skipExisting: true }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ requested: 2, created: 1, skipped: 1, skippedSerials: ['A-1'] });
  });

  it('finds existing serials in every 1,000-row chunk: refuses with all of them, or skips them and enqueues the rest', async () => {
    const all = serials('CHUNKS', 2_500);
    const taken = [all[10]!, all[1_500]!, all[2_499]!];
    expect((await post(batchBody(taken))).status).toBe(202);
    const before = await api.counts();
    const refused = await post(batchBody(all));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SERIALS_EXIST', serials: taken, count: 3 });
    expect(await api.counts()).toEqual(before);
    const res = await post(batchBody(all, { skipExisting: true }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      requested: 2_500,
      created: 2_497,
      skipped: 3,
      skippedSerials: taken,
      enqueued: 2_497,
    });
    const after = await api.counts();
    expect([after.devices - before.devices, after.jobs - before.jobs]).toEqual([2_497, 2_497]);
  });

  it('accepts 10,000 devices once, also when retried with the same Idempotency-Key, also concurrently', async () => {
    const before = await api.counts();
    const body = batchBody(serials('BIG', 10_000), { externalRef: 'WO-BIG' });
    const started = Date.now();
    const [first, second] = await Promise.all([
      post(body).set('Idempotency-Key', 'big-1'),
      post(body).set('Idempotency-Key', 'big-1'),
    ]);
    const elapsed = Date.now() - started;
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body).toEqual(first.body);
    const replay = await post(body).set('Idempotency-Key', 'big-1');
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const after = await api.counts();
    expect(after.batches - before.batches).toBe(1);
    expect(after.devices - before.devices).toBe(10_000);
    expect(after.jobs - before.jobs).toBe(10_000);
    expect(elapsed).toBeLessThan(10_000); // two requests, one waits for the other; see the bench for the 1-s figure
  });

  it('answers 503 QUEUE_UNAVAILABLE naming a batch stored without its jobs; a retry with its Idempotency-Key enqueues them', async () => {
    const body = batchBody(serials('DOWN', 1_500));
    const before = await api.counts();
    // The queue's producer connection closed (no offline queue): every enqueue call fails at once.
    api.redis.disconnect();
    const failed = await post(body).set('Idempotency-Key', 'down-1');
    await api.redis.connect();
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ code: 'QUEUE_UNAVAILABLE', batchId: expect.any(String) });
    const stored = await api.counts();
    expect([stored.devices - before.devices, stored.jobs - before.jobs]).toEqual([1_500, 0]);
    const retried = await post(body).set('Idempotency-Key', 'down-1');
    expect(retried.status).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body).toMatchObject({ id: failed.body.batchId, created: 1_500, enqueued: 1_500 });
    expect((await api.counts()).jobs - before.jobs).toBe(1_500);
  });

  it('recovers a batch whose enqueue failed: requeue re-adds exactly the missing jobs', async () => {
    const res = await post(batchBody(serials('REC', 20)));
    await api.queues.provisioning.remove(provisionJobId('REC000003'));
    await api.queues.provisioning.remove(provisionJobId('REC000007'));
    const before = await api.counts();
    const requeue = await request(api.app)
      .post(`/v1/batches/${res.body.id}/requeue`)
      .set(api.auth(api.keys.mes));
    expect(requeue.status).toBe(202);
    expect(requeue.body).toMatchObject({ affected: 20 });
    expect((await api.counts()).jobs - before.jobs).toBe(2);
  });
});

describe('reading batches', () => {
  let id: string;
  beforeAll(async () => {
    id = (await post(batchBody(serials('R', 25), { externalRef: 'WO-READ' }))).body.id;
    await api.db.prisma.device.updateMany({
      where: { serial: { in: ['R000000', 'R000001'] } },
      data: {
        state: 'FAILED',
        failedAt: new Date(),
        lastErrorCode: 'THROTTLED',
        lastErrorMessage: 'slow down',
      },
    });
    await api.db.prisma.device.updateMany({
      where: { serial: { in: ['R000002'] } },
      data: { state: 'REGISTERED', registeredAt: new Date(), thingName: 'thing-R2' },
    });
  });

  it('lists with paging and filters', async () => {
    const res = await request(api.app)
      .get('/v1/batches?externalRef=WO-READ&state=open&page=1&limit=10')
      .set(api.auth(api.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      total: 1,
      page: 1,
      limit: 10,
      items: [{ id, externalRef: 'WO-READ', state: 'open' }],
    });
    const none = await request(api.app)
      .get('/v1/batches?externalRef=WO-READ&state=finished')
      .set(api.auth(api.keys.viewer));
    expect(none.body.total).toBe(0);
  });

  it('shows progress: counts per state, percent, throughput, ETA, top errors', async () => {
    const res = await request(api.app).get(`/v1/batches/${id}`).set(api.auth(api.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body.progress).toMatchObject({
      total: 25,
      counts: { QUEUED: 22, FAILED: 2, REGISTERED: 1 },
      done: 3,
      progressPercent: 12,
      throughputPerMinute: 3,
      etaSeconds: 440,
      topErrors: [{ code: 'THROTTLED', count: 2 }],
      orphanedCertificates: 0,
      finished: false,
    });
  });

  it('pages devices by cursor, with a state filter', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/batches/${id}/devices?limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await request(api.app).get(url).set(api.auth(api.keys.viewer));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((d: { serial: string }) => d.serial));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(25);
    const failed = await request(api.app)
      .get(`/v1/batches/${id}/devices?state=FAILED`)
      .set(api.auth(api.keys.viewer));
    expect(failed.body.items.map((d: { serial: string }) => d.serial).sort()).toEqual(['R000000', 'R000001']);
  });

  it('reports as CSV (header + one line per device, no key material) and as JSON', async () => {
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'R000002' } });
    await api.db.prisma.certificate.create({
      data: {
        certificateId: 'c'.repeat(64),
        deviceId: device.id,
        certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        status: 'ACTIVE',
        privateKeyCiphertext: Buffer.from('-----BEGIN PRIVATE KEY-----secret'),
        privateKeyWrappedKey: Buffer.from('wrapped'),
      },
    });
    const csv = await request(api.app)
      .get(`/v1/batches/${id}/report`)
      .set(api.auth(api.keys.viewer))
      .set('Accept', 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'serial,thingName,certificateId,state,errorCode,errorMessage,queuedAt,registeredAt,downloadedAt,burnedAt,failedAt,updatedAt',
    );
    expect(lines).toHaveLength(26);
    expect(lines.find((l) => l.startsWith('R000002,'))).toContain(`thing-R2,${'c'.repeat(64)},REGISTERED`);
    expect(csv.text).not.toMatch(/PRIVATE KEY|wrapped|BEGIN CERTIFICATE/);
    const viaQuery = await request(api.app)
      .get(`/v1/batches/${id}/report?format=csv`)
      .set(api.auth(api.keys.viewer));
    expect(viaQuery.text).toBe(csv.text);
    const json = await request(api.app).get(`/v1/batches/${id}/report`).set(api.auth(api.keys.viewer));
    expect(json.status).toBe(200);
    expect(json.body.devices).toHaveLength(25);
    expect(JSON.stringify(json.body)).not.toMatch(/PRIVATE KEY/);
  });

  it('streams progress as Server-Sent Events', async () => {
    const server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const first = await new Promise<string>((resolve, reject) => {
        const req = http.get(
          { port, host: '127.0.0.1', path: `/v1/batches/${id}/events`, headers: api.auth(api.keys.viewer) },
          (res) => {
            expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
            let text = '';
            res.on('data', (chunk) => {
              text += chunk;
              if (text.includes('\n\n')) {
                req.destroy();
                resolve(text);
              }
            });
          },
        );
        req.on('error', reject);
      });
      expect(first).toMatch(/^event: progress\ndata: /);
      expect(JSON.parse(first.split('data: ')[1]!.trim())).toMatchObject({ total: 25 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ends the event stream when the batch is finished', async () => {
    const done = (await post(batchBody(['SSE-1']))).body.id;
    await api.db.prisma.device.updateMany({
      where: { batchId: done },
      data: { state: 'REGISTERED', registeredAt: new Date() },
    });
    const res = await request(api.app).get(`/v1/batches/${done}/events`).set(api.auth(api.keys.viewer));
    expect(res.text).toContain('event: progress');
    expect(res.text).toContain('event: end');
    const batch = await request(api.app).get(`/v1/batches/${done}`).set(api.auth(api.keys.viewer));
    expect(batch.body.state).toBe('finished');
  });
});

describe('batch actions', () => {
  it('retries FAILED devices with a new job generation', async () => {
    const id = (await post(batchBody(['F-1', 'F-2']))).body.id;
    await api.db.prisma.device.updateMany({
      where: { serial: 'F-1' },
      data: { state: 'FAILED', failedAt: new Date(), lastErrorCode: 'X' },
    });
    const res = await request(api.app).post(`/v1/batches/${id}/retry`).set(api.auth(api.keys.mes));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ affected: 1, enqueued: 1 });
    expect(await api.queues.provisioning.getJob(provisionJobId('F-1', 1))).toBeTruthy();
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'F-1' } });
    expect(device).toMatchObject({ state: 'QUEUED', provisionGeneration: 1, lastErrorCode: null });
  });

  it('cancels QUEUED devices and removes their waiting jobs; leaves the others', async () => {
    const id = (await post(batchBody(['C-1', 'C-2', 'C-3']))).body.id;
    await api.db.prisma.device.updateMany({ where: { serial: 'C-3' }, data: { state: 'CLAIMING' } });
    const res = await request(api.app).post(`/v1/batches/${id}/cancel`).set(api.auth(api.keys.mes));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ affected: 2, jobsRemoved: 2 });
    expect(await api.queues.provisioning.getJob(provisionJobId('C-1'))).toBeUndefined();
    const states = await api.db.prisma.device.findMany({
      where: { batchId: id },
      orderBy: { serial: 'asc' },
      select: { state: true },
    });
    expect(states.map((s) => s.state)).toEqual(['CANCELLED', 'CANCELLED', 'CLAIMING']);
    const again = await request(api.app).post(`/v1/batches/${id}/cancel`).set(api.auth(api.keys.mes));
    expect(again.body.code).toBe('BATCH_NOT_OPEN');
  });
});

describe('devices and templates', () => {
  it('shows a device with history, certificates (no key material) and audit trail, and audits the read', async () => {
    await post(batchBody(['DV-1']));
    const device = await api.db.prisma.device.update({
      where: { serial: 'DV-1' },
      data: { state: 'REGISTERED', registeredAt: new Date(), thingName: 'thing-DV-1' },
    });
    await api.db.prisma.certificate.create({
      data: {
        certificateId: 'd'.repeat(64),
        deviceId: device.id,
        certificatePem: 'PEM',
        status: 'ACTIVE',
        privateKeyCiphertext: Buffer.from('PRIVATE KEY bytes'),
      },
    });
    const res = await request(api.app)
      .get('/v1/devices/DV-1?include=certificates,audit')
      .set(api.auth(api.keys.viewer));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      serial: 'DV-1',
      state: 'REGISTERED',
      thingName: 'thing-DV-1',
      history: [{ state: 'QUEUED' }, { state: 'REGISTERED' }],
      certificates: [{ certificateId: 'd'.repeat(64), status: 'ACTIVE' }],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY|PEM|ciphertext/i);
    const reads = await api.db.prisma.auditEvent.count({
      where: { deviceId: device.id, action: 'device.read' },
    });
    expect(reads).toBe(1);
  });

  it('reprovisions (ACTIVE certificate REVOKING, its key shredded, its revocation and the next generation enqueued) and audits', async () => {
    const res = await request(api.app).post('/v1/devices/DV-1/reprovision').set(api.auth(api.keys.admin));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      serial: 'DV-1',
      state: 'QUEUED',
      generation: 1,
      revokedCertificateIds: ['d'.repeat(64)],
    });
    expect(await api.queues.provisioning.getJob(provisionJobId('DV-1', 1))).toBeTruthy();
    const cert = await api.db.prisma.certificate.findUniqueOrThrow({
      where: { certificateId: 'd'.repeat(64) },
    });
    expect(cert.status).toBe('REVOKING');
    expect(cert.privateKeyCiphertext).toBeNull();
    expect(await api.queues.maintenance.getJob(maintenanceJobId('revoke-certificate', cert.id))).toBeTruthy();
    const detail = await request(api.app)
      .get('/v1/devices/DV-1?include=certificates,audit')
      .set(api.auth(api.keys.viewer));
    expect(detail.body.audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['device.reprovision', 'device.read', 'certificate.key-shredded']),
    );
    expect(detail.body.certificates).toMatchObject([{ status: 'REVOKING' }]);
  });

  it('revokes the ACTIVE certificate: REVOKING in the database, its revocation at AWS enqueued', async () => {
    await post(batchBody(['RV-1']));
    const device = await api.db.prisma.device.update({
      where: { serial: 'RV-1' },
      data: { state: 'BURNED', burnedAt: new Date() },
    });
    await api.db.prisma.certificate.create({
      data: { certificateId: 'e'.repeat(64), deviceId: device.id, certificatePem: 'PEM', status: 'ACTIVE' },
    });
    const res = await request(api.app).post('/v1/devices/RV-1/revoke').set(api.auth(api.keys.admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      serial: 'RV-1',
      state: 'BURNED',
      revokedCertificateIds: ['e'.repeat(64)],
    });
    expect(
      await api.db.prisma.auditEvent.count({ where: { deviceId: device.id, action: 'device.revoke' } }),
    ).toBe(1);
    const cert = await api.db.prisma.certificate.findUniqueOrThrow({
      where: { certificateId: 'e'.repeat(64) },
    });
    expect(cert.status).toBe('REVOKING');
    expect(await api.queues.maintenance.getJob(maintenanceJobId('revoke-certificate', cert.id))).toBeTruthy();
  });

  it('lists the allowed templates', async () => {
    const res = await request(api.app).get('/v1/templates').set(api.auth(api.keys.mes));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { name: 'claimline-default', parameters: { SerialNumber: { type: 'string', required: true } } },
    ]);
  });
});
