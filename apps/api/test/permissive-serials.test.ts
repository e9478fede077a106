import { provisionJobId } from '@claimline/jobs';
import request from 'supertest';
import { batchBody, startTestApi, type TestApi } from './helpers.js';

// Issue 15: a serial with ":" (allowed by a permissive API_SERIAL_PATTERN) made BullMQ refuse the job
// id: the batch answered 503 and requeue could never succeed. Job ids now percent-encode ":" and "%".
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ API_SERIAL_PATTERN: '^[A-Za-z0-9][A-Za-z0-9.:%_-]{0,63}$' });
});

afterAll(async () => {
  await api.close();
});

const post = (body: object) => request(api.app).post('/v1/batches').set(api.auth(api.keys.mes)).send(body);

describe('serials that BullMQ cannot take as they are', () => {
  it('accepts and enqueues a batch of serials with ":" and "%", one job each', async () => {
    const serials = ['MAC:00:11', 'LOT:7', 'LOT%3A7', 'P%1'];
    const res = await post(batchBody(serials));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ created: 4, enqueued: 4 });
    for (const serial of serials) {
      const job = await api.queues.provisioning.getJob(provisionJobId(serial));
      expect(job?.data.serial).toBe(serial);
    }
    const device = await request(api.app)
      .get(`/v1/devices/${encodeURIComponent('MAC:00:11')}`)
      .set(api.auth(api.keys.viewer));
    expect(device.status).toBe(200);
    expect(device.body.serial).toBe('MAC:00:11');
  });

  it('requeues a device with ":" left QUEUED without a job (as the old 503 left it)', async () => {
    const res = await post(batchBody(['REQ:1', 'REQ:2']));
    expect(res.status).toBe(202);
    await api.queues.provisioning.remove(provisionJobId('REQ:2'));
    expect(await api.queues.provisioning.getJob(provisionJobId('REQ:2'))).toBeUndefined();
    const requeue = await request(api.app)
      .post(`/v1/batches/${res.body.id}/requeue`)
      .set(api.auth(api.keys.mes));
    expect(requeue.status).toBe(202);
    expect(requeue.body).toMatchObject({ affected: 2 });
    expect((await api.queues.provisioning.getJob(provisionJobId('REQ:2')))?.data.serial).toBe('REQ:2');
  });

  it('cancels a batch with ":" serials: their waiting jobs are removed', async () => {
    const res = await post(batchBody(['CAN:1']));
    const cancel = await request(api.app)
      .post(`/v1/batches/${res.body.id}/cancel`)
      .set(api.auth(api.keys.mes));
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ affected: 1, jobsRemoved: 1 });
    expect(await api.queues.provisioning.getJob(provisionJobId('CAN:1'))).toBeUndefined();
  });
});
