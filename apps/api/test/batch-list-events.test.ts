import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { eventFeeds } from '../src/services/event-feeds.js';
import { batchBody, startTestApi, type TestApi } from './helpers.js';
import { openSse, type SseEvent, type SseStream } from './sse-client.js';

type ListData = {
  items: { id: string; externalRef: string; state: string; progress: { done: number; total: number } }[];
  total: number;
};

let api: TestApi;
let server: Server;
let port: number;
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startTestApi({ API_MAX_EVENT_STREAMS_PER_KEY: '3' });
  for (const [ref, key, serials] of [
    ['WO-LIST-A', api.keys.mes, ['LE-A1', 'LE-A2']],
    ['WO-LIST-B', api.keys.admin, ['LE-B1']],
  ] as const) {
    const res = await request(api.app)
      .post('/v1/batches')
      .set(api.auth(key))
      .send(batchBody(serials, { externalRef: ref }));
    expect(res.status).toBe(202);
    ids[ref] = res.body.id;
  }
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

const list = (e: SseEvent) => e.data as ListData;

describe('GET /v1/batches/events', () => {
  it('streams the whole list with progress through one poller, and each change', async () => {
    const streams: SseStream[] = [];
    try {
      for (let i = 0; i < 2; i++)
        streams.push(await openSse(port, '/v1/batches/events?limit=10', api.auth(api.keys.viewer)));
      for (const s of streams) expect(s.status).toBe(200);
      const first = list(await streams[0]!.next((e) => e.event === 'batches'));
      expect(first.total).toBe(2);
      expect(first.items.map((b) => [b.externalRef, b.progress.done, b.progress.total])).toEqual([
        ['WO-LIST-B', 0, 1],
        ['WO-LIST-A', 0, 2],
      ]);
      const listFeeds = [...eventFeeds()].filter(([key]) => key.startsWith('batches:'));
      expect(listFeeds).toEqual([[expect.any(String), 2]]);

      await api.db.query(
        `UPDATE device SET state = 'REGISTERED', registered_at = now() WHERE serial = 'LE-B1'`,
      );
      for (const s of streams) {
        const changed = list(
          await s.next((e) =>
            list(e).items.some((b) => b.externalRef === 'WO-LIST-B' && b.progress.done === 1),
          ),
        );
        expect(changed.items.find((b) => b.externalRef === 'WO-LIST-B')?.state).toBe('finished');
      }
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('applies filters and batch ownership: an MES key sees only its own batches', async () => {
    const mes = await openSse(port, '/v1/batches/events?state=open', api.auth(api.keys.mes));
    try {
      const data = list(await mes.next((e) => e.event === 'batches'));
      expect(data.items.map((b) => b.id)).toEqual([ids['WO-LIST-A']]);
    } finally {
      mes.close();
    }
  });

  it('counts against the per-key stream limit together with the batch streams', async () => {
    const held = [
      await openSse(port, '/v1/batches/events', api.auth(api.keys.viewer)),
      await openSse(port, `/v1/batches/${ids['WO-LIST-A']}/events`, api.auth(api.keys.viewer)),
      await openSse(port, '/v1/batches/events?state=finished', api.auth(api.keys.viewer)),
    ];
    try {
      for (const s of held) expect(s.status).toBe(200);
      const fourth = await request(api.app).get('/v1/batches/events').set(api.auth(api.keys.viewer));
      expect(fourth.status).toBe(429);
      expect(fourth.body.code).toBe('TOO_MANY_STREAMS');
    } finally {
      for (const s of held) s.close();
    }
  });

  it('refuses bad filters and unauthenticated callers with problem codes', async () => {
    const bad = await request(api.app).get('/v1/batches/events?state=gone').set(api.auth(api.keys.viewer));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const anonymous = await request(api.app).get('/v1/batches/events');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
  });
});
