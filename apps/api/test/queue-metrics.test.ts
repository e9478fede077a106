import request from 'supertest';
import { batchBody, serials, startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const gauge = (text: string, state: string) =>
  Number(
    new RegExp(`^claimline_queue_jobs\\{queue="provisioning",state="${state}"\\} (\\d+)$`, 'm').exec(
      text,
    )?.[1],
  );

describe('claimline_queue_jobs (the queue depth KEDA scales the workers on)', () => {
  it('reports every state of the provisioning queue, and the accepted units as not yet started', async () => {
    const before = (await request(api.app.opsApp).get('/metrics')).text;
    expect(gauge(before, 'waiting') + gauge(before, 'prioritized')).toBe(0);

    const res = await request(api.app)
      .post('/v1/batches')
      .set(api.auth(api.keys.mes))
      .send(batchBody(serials('QM', 25)));
    expect(res.status).toBeLessThan(300);

    const after = (await request(api.app.opsApp).get('/metrics')).text;
    for (const state of ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'])
      expect(Number.isNaN(gauge(after, state))).toBe(false);
    // No worker runs here: every accepted unit is still queued (BullMQ keeps jobs with a priority in `prioritized`).
    expect(gauge(after, 'waiting') + gauge(after, 'prioritized')).toBe(25);
    expect(gauge(after, 'active')).toBe(0);
  });
});
