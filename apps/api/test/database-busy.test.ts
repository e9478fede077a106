import request from 'supertest';
import { batchBody, startTestApi, type TestApi } from './helpers.js';

// A transaction that outlives Prisma's interactive time-out (5 s by default) is P2028: overload,
// answered as 503 DATABASE_BUSY with Retry-After, not 500. The cancel's transaction is made to wait on
// a row lock that another session holds for longer than that time-out.
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api.close();
});

it('answers 503 DATABASE_BUSY with Retry-After when a transaction times out, and changes nothing', async () => {
  const created = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['BUSY-1', 'BUSY-2']));
  expect(created.status).toBe(202);
  const batchId = created.body.id as string;
  let answer: request.Response | undefined;
  await api.db.prisma.$transaction(
    async (tx) => {
      await tx.$queryRawUnsafe('SELECT id FROM batch WHERE id = $1::uuid FOR UPDATE', batchId);
      void request(api.app)
        .post(`/v1/batches/${batchId}/cancel`)
        .set(api.auth(api.keys.mes))
        .then((res) => (answer = res));
      // Hold the row past the cancel's 5-s transaction time-out; its answer cannot come before.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(answer).toBeUndefined();
    },
    { timeout: 20_000 },
  );
  const deadline = Date.now() + 10_000;
  while (!answer && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(answer?.status).toBe(503);
  expect(answer?.headers['retry-after']).toBe('1');
  expect(answer?.body).toMatchObject({ code: 'DATABASE_BUSY', status: 503 });
  const states = await api.db.prisma.device.findMany({ where: { batchId }, select: { state: true } });
  expect(states.map((d) => d.state)).toEqual(['QUEUED', 'QUEUED']);
}, 30_000);
