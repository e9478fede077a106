import request from 'supertest';
import { provisionJobId } from '@claimline/jobs';
import { batchBody, startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  const res = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['RQ-1', 'RQ-2']));
  expect(res.status).toBe(202);
});
afterAll(async () => {
  await api.close();
});

const requeue = (serial: string, key = api.keys.admin) =>
  request(api.app).post(`/v1/devices/${serial}/requeue`).set(api.auth(key));

describe('POST /v1/devices/{serial}/requeue', () => {
  it('refuses while a job will still run the unit (409 DEVICE_JOB_LIVE), and leaves it as it was', async () => {
    const res = await requeue('RQ-1');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: 'DEVICE_JOB_LIVE',
      jobState: expect.stringMatching(/waiting|prioritized/),
    });
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'RQ-1' } });
    expect(device.provisionGeneration).toBe(0);
  });

  it('requeues an in-flight unit whose job is gone: next generation, new job, audited as the admin', async () => {
    await api.queues.provisioning.remove(provisionJobId('RQ-2', 0));
    const res = await requeue('RQ-2');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ serial: 'RQ-2', state: 'QUEUED', generation: 1, previousJobState: 'unknown' });
    const job = await api.queues.provisioning.getJob(provisionJobId('RQ-2', 1));
    expect(job?.data.serial).toBe('RQ-2');
    const audit = await api.db.prisma.auditEvent.findMany({
      where: { action: 'device.requeued', device: { serial: 'RQ-2' } },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toMatch(/^apikey:/);
    expect(audit[0]?.details).toMatchObject({ reason: 'admin', fromGeneration: 0, generation: 1 });
    // Its new job is live now: a second requeue is refused.
    expect((await requeue('RQ-2')).body.code).toBe('DEVICE_JOB_LIVE');
  });

  it('refuses a unit that is not in flight (409 INVALID_DEVICE_STATE)', async () => {
    // Test set-up only: a settled unit, written directly.
    await api.db.prisma.device.update({ where: { serial: 'RQ-1' }, data: { state: 'FAILED' } });
    const res = await requeue('RQ-1');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'INVALID_DEVICE_STATE', state: 'FAILED' });
  });

  it('404 for an unknown serial, 403 for a non-admin key', async () => {
    expect((await requeue('NOPE-1')).body.code).toBe('DEVICE_NOT_FOUND');
    const forbidden = await requeue('RQ-2', api.keys.mes);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
  });
});
