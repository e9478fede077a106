import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApiKey } from '../src/index.js';
import { eventFeeds } from '../src/services/event-feeds.js';
import { batchBody, startTestApi, type TestApi } from './helpers.js';
import { openSse } from './sse-client.js';

/** An event stream lives no longer than what authorised it (issues 13 and 15: revocation takes effect). */
let api: TestApi;
let server: Server;
let port: number;

beforeAll(async () => {
  api = await startTestApi();
  await api.keyCache!.ready();
  const res = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.admin))
    .send(batchBody(['SS-1']));
  expect(res.status).toBe(202);
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

const streamsOpen = () => [...eventFeeds().values()].reduce((sum, n) => sum + n, 0);

it('revoking a key ends its open event streams; streams of other keys go on', async () => {
  const doomed = await createApiKey(api.db.prisma, { name: 'stream viewer', role: 'VIEWER' });
  const mine = await openSse(port, '/v1/batches/events', api.auth(doomed.key));
  const other = await openSse(port, '/v1/batches/events', api.auth(api.keys.viewer));
  try {
    await mine.next((e) => e.event === 'batches');
    await other.next((e) => e.event === 'batches');
    const revoked = await request(api.app)
      .post(`/v1/api-keys/${doomed.prefix}/revoke`)
      .set(api.auth(api.keys.admin));
    expect(revoked.status).toBe(200);
    await mine.ended;
    expect(streamsOpen()).toBe(1);
    const again = await openSse(port, '/v1/batches/events', api.auth(doomed.key));
    expect(again.status).toBe(401);
    again.close();
  } finally {
    mine.close();
    other.close();
  }
});

it('signing out of the console ends the streams opened with its cookie', async () => {
  const signIn = await request(api.app).post('/console/session').set(api.auth(api.keys.viewer));
  expect(signIn.status).toBe(201);
  const cookie = signIn.headers['set-cookie']![0]!.split(';')[0]!;
  const stream = await openSse(port, '/v1/batches/events', { Cookie: cookie });
  const bearer = await openSse(port, '/v1/batches/events', api.auth(api.keys.viewer));
  try {
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === 'batches');
    await bearer.next((e) => e.event === 'batches');
    const out = await request(api.app)
      .delete('/console/session')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', signIn.body.csrfToken as string);
    expect(out.status).toBeLessThan(300);
    await stream.ended;
    // The same key's Bearer stream is not the session's: it goes on.
    expect(streamsOpen()).toBe(1);
  } finally {
    stream.close();
    bearer.close();
  }
});
