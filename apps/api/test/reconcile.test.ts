import request from 'supertest';
import { openControlPlane, type ControlPlane } from '@claimline/aws-control-plane';
import { controlPlaneSchema } from '@claimline/config';
import { createRedisConnection, maintenanceJobId } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { newCertificateId, startSeededEmulator } from '@claimline/reconcile/testing';
import type { Redis } from 'ioredis';
import { startTestApi, type TestApi } from './helpers.js';

/**
 * GET /v1/reconcile on a real database and a seeded emulator, read through packages/aws-control-plane
 * (as main.ts opens it). Batch CLEAN: one healthy unit; batch DIRTY: an orphan still ACTIVE at AWS.
 */
let api: TestApi;
let bare: TestApi;
let account: Awaited<ReturnType<typeof startSeededEmulator>>;
let controlPlane: ControlPlane;
let quotaRedis: Redis;
const batches = { clean: '', dirty: '' };
const okId = newCertificateId();
const orphanId = newCertificateId();

beforeAll(async () => {
  account = await startSeededEmulator(
    [{ thingName: 'unit-OK-1', certificateIds: [okId] }],
    [
      { certificateId: okId, status: 'ACTIVE' },
      { certificateId: orphanId, status: 'ACTIVE' },
    ],
  );
  quotaRedis = createRedisConnection(testRedisUrl(), 'worker');
  const opened = await openControlPlane(
    {
      ...controlPlaneSchema.parse({
        CONTROL_PLANE: 'emulator',
        CONTROL_PLANE_CLIENT_FILE: account.emulator.files.controlPlanePath,
      }),
      QUEUE_PREFIX: uniqueQueuePrefix('reconcile-api'),
    },
    quotaRedis,
  );
  if (!opened.controlPlane) throw new Error(`no control plane: ${opened.reason}`);
  controlPlane = opened.controlPlane;
  api = await startTestApi({}, { controlPlane });
  bare = await startTestApi();
  for (const [key, serial, certificateId, status, thing] of [
    ['clean', 'OK-1', okId, 'ACTIVE', 'unit-OK-1'],
    ['dirty', 'ORPHAN-1', orphanId, 'ORPHANED', null],
  ] as const) {
    const batch = await api.db.prisma.batch.create({ data: { externalRef: `WO-${key}`, templateName: 't' } });
    batches[key] = batch.id;
    // Test set-up only: rows as the worker would have left them, written directly.
    await api.db.prisma.device.create({
      data: {
        serial,
        batchId: batch.id,
        state: thing ? 'REGISTERED' : 'FAILED',
        thingName: thing,
        certificates: { create: [{ certificateId, certificatePem: 'pem', status }] },
      },
    });
  }
}, 60_000);

afterAll(async () => {
  controlPlane?.close();
  quotaRedis?.disconnect();
  await api?.close();
  await bare?.close();
  await account?.close();
});

const get = (app: TestApi, query: Record<string, string>, key = app.keys.admin) =>
  request(app.app).get('/v1/reconcile').query(query).set(app.auth(key));

describe('GET /v1/reconcile', () => {
  it('reports a clean batch with no findings', async () => {
    const res = await get(api, { batchId: batches.clean });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ batchId: batches.clean, units: 1, findings: [] });
    expect(res.body.awsCalls).toMatchObject({ listCertificates: 1, listThingPrincipals: 1 });
  });

  it('names the orphan still ACTIVE at AWS, in JSON and CSV, and audits the run as the admin', async () => {
    const res = await get(api, { batchId: batches.dirty });
    expect(res.status).toBe(200);
    expect(res.body.counts.ORPHAN_ACTIVE_AT_AWS).toBe(1);
    expect(res.body.findings).toEqual([
      {
        kind: 'ORPHAN_ACTIVE_AT_AWS',
        serial: 'ORPHAN-1',
        thingName: null,
        certificateId: orphanId,
        databaseStatus: 'ORPHANED',
        awsStatus: 'ACTIVE',
      },
    ]);
    const csv = await get(api, { batchId: batches.dirty, format: 'csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trimEnd().split('\r\n')).toEqual([
      'kind,serial,thingName,certificateId,databaseStatus,awsStatus',
      `ORPHAN_ACTIVE_AT_AWS,ORPHAN-1,,${orphanId},ORPHANED,ACTIVE`,
    ]);
    const audit = await api.db.prisma.auditEvent.findMany({
      where: { action: 'reconcile.report', batchId: batches.dirty },
    });
    expect(audit).toHaveLength(2);
    expect(audit[0]?.actor).toMatch(/^apikey:/);
    expect(audit.map((a) => (a.details as { findings: number }).findings)).toEqual([1, 1]);
  });

  it('answers 4xx with a code for bad input, an unknown batch and a non-admin key', async () => {
    const bad = await get(api, { batchId: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect((await get(api, { format: 'xml' })).body.code).toBe('VALIDATION_FAILED');
    expect((await get(api, { fix: 'true' })).body.code).toBe('VALIDATION_FAILED');
    const missing = await get(api, { batchId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('BATCH_NOT_FOUND');
    const forbidden = await get(api, {}, api.keys.mes);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
  });

  it('answers 503 CONTROL_PLANE_UNAVAILABLE when no control plane is configured', async () => {
    const res = await get(bare, {});
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('CONTROL_PLANE_UNAVAILABLE');
  });
});

describe('POST /v1/reconcile/fix', () => {
  const fix = (app: TestApi, query: Record<string, string>, key = app.keys.admin) =>
    request(app.app).post('/v1/reconcile/fix').query(query).set(app.auth(key));

  it('enqueues the safe fix (the orphan clean-up), answers the report with the fixes, audits it', async () => {
    const clean = await fix(api, { batchId: batches.clean });
    expect(clean.status).toBe(200);
    expect(clean.body.fixes).toMatchObject({ fixable: 0, enqueued: 0 });
    const res = await fix(api, { batchId: batches.dirty });
    expect(res.status).toBe(200);
    expect(res.body.counts.ORPHAN_ACTIVE_AT_AWS).toBe(1);
    expect(res.body.fixes).toMatchObject({ fixable: 1, enqueued: 1 });
    const row = await api.db.prisma.certificate.findUniqueOrThrow({ where: { certificateId: orphanId } });
    expect(
      await api.queues.maintenance.getJob(maintenanceJobId('clean-orphan-certificate', row.id)),
    ).toBeTruthy();
    expect(await api.db.prisma.auditEvent.count({ where: { action: 'reconcile.fix' } })).toBe(2);
  });

  it('refuses other roles (403), and answers 503 without a control plane', async () => {
    expect((await fix(api, {}, api.keys.mes)).body.code).toBe('FORBIDDEN');
    const res = await fix(bare, {});
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('CONTROL_PLANE_UNAVAILABLE');
  });
});
