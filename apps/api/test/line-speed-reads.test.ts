import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { apiSchema, loadConfig } from '@claimline/config';
import { createLogger } from '@claimline/logger';
import { eventFeeds } from '../src/services/event-feeds.js';
import { createApiKey } from '../src/index.js';
import { createReadAudit } from '../src/services/read-audit.js';
import { createDeviceViewReader } from '../src/services/device-view.js';
import { rawSqlOf, type RawSql } from '@claimline/db';
import { batchBody, startTestApi, type TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ API_MAX_EVENT_STREAMS_PER_KEY: '3' });
  const res = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['LS-1', 'LS-2']));
  expect(res.status).toBe(202);
});
afterAll(() => api.close());

describe('GET device, lean', () => {
  it('answers the row and its history without certificates or audit unless ?include= asks', async () => {
    const lean = await request(api.app).get('/v1/devices/LS-1').set(api.auth(api.keys.viewer));
    expect(lean.status).toBe(200);
    expect(lean.body).toMatchObject({ serial: 'LS-1', state: 'QUEUED', history: [{ state: 'QUEUED' }] });
    expect(lean.body).not.toHaveProperty('certificates');
    expect(lean.body).not.toHaveProperty('audit');
    const full = await request(api.app)
      .get('/v1/devices/LS-1?include=audit,certificates')
      .set(api.auth(api.keys.viewer));
    expect(full.body.certificates).toEqual([]);
    expect(full.body.audit.map((a: { action: string }) => a.action)).toContain('device.read');
    const bad = await request(api.app).get('/v1/devices/LS-1?include=keys').set(api.auth(api.keys.viewer));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('device reads, coalesced', () => {
  /** The app's own statements, counted (real Postgres underneath). */
  const counted = () => {
    const sql = rawSqlOf(api.db.prisma);
    const sent: unknown[][] = [];
    const counting: RawSql = (text, values, name) => {
      sent.push(values[0] as unknown[]);
      return sql(text, values, name);
    };
    return { sent, counting };
  };

  it('reads asked for together share one statement, each gets its own device, an unknown serial only its own 404', async () => {
    const { sent, counting } = counted();
    const reader = createDeviceViewReader(counting);
    const [one, two, again, unknown] = await Promise.allSettled([
      reader.find('LS-1'),
      reader.find('LS-2'),
      reader.find('LS-1'),
      reader.find('LS-NONE'),
    ]);
    expect(sent).toEqual([['LS-1', 'LS-2', 'LS-NONE']]);
    expect(one).toMatchObject({ status: 'fulfilled', value: { serial: 'LS-1', state: 'QUEUED' } });
    expect(two).toMatchObject({ status: 'fulfilled', value: { serial: 'LS-2' } });
    expect(again).toMatchObject({ status: 'fulfilled', value: { serial: 'LS-1' } });
    // Two reads of one serial get two objects: a handler may not change what another answers.
    expect((again as PromiseFulfilledResult<object>).value).not.toBe(
      (one as PromiseFulfilledResult<object>).value,
    );
    expect(unknown).toMatchObject({ status: 'rejected', reason: { code: 'DEVICE_NOT_FOUND' } });
  });

  it('reads asked for while statements are in flight wait for the next one, together, within its size', async () => {
    const { sent, counting } = counted();
    const reader = createDeviceViewReader(counting, { perStatement: 2, inFlight: 1 });
    const first = reader.find('LS-1');
    await new Promise((resolve) => setImmediate(resolve)); // the first statement is on its way
    const rest = ['LS-2', 'LS-1', 'LS-NONE'].map((serial) => reader.find(serial).catch(() => serial));
    await Promise.all([first, ...rest]);
    expect(sent).toEqual([['LS-1'], ['LS-2', 'LS-1'], ['LS-NONE']]);
  });

  it('caches nothing: a change committed between two reads is in the second', async () => {
    const reader = createDeviceViewReader(rawSqlOf(api.db.prisma));
    expect(await reader.find('LS-2')).toMatchObject({ attempts: 0 });
    await api.db.query(`UPDATE device SET attempts = 7 WHERE serial = 'LS-2'`);
    expect(await reader.find('LS-2')).toMatchObject({ attempts: 7 });
    await api.db.query(`UPDATE device SET attempts = 0 WHERE serial = 'LS-2'`);
  });

  it('states its times as Date#toISOString would, in the order they happened', async () => {
    const reader = createDeviceViewReader(rawSqlOf(api.db.prisma));
    const before = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'LS-2' } });
    await api.db.query(
      `UPDATE device SET queued_at = '2026-11-30 12:34:56.789', claiming_at = '2026-11-30 12:34:56.5',
              failed_at = '2026-11-30 12:34:56.05' WHERE serial = 'LS-2'`,
    );
    const stored = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'LS-2' } });
    const res = await request(api.app).get('/v1/devices/LS-2').set(api.auth(api.keys.viewer));
    await api.db.query(
      `UPDATE device SET queued_at = $1, claiming_at = NULL, failed_at = NULL WHERE serial = 'LS-2'`,
      [before.queuedAt],
    );
    expect(await reader.find('LS-2')).toMatchObject({ queuedAt: before.queuedAt.toISOString() });
    expect(res.body.history).toEqual([
      { state: 'FAILED', at: stored.failedAt!.toISOString() },
      { state: 'CLAIMING', at: '2026-11-30T12:34:56.500Z' },
      { state: 'QUEUED', at: stored.queuedAt.toISOString() },
    ]);
    expect(stored.queuedAt.toISOString()).toBe('2026-11-30T12:34:56.789Z');
  });

  it('a failed statement fails every read it carried, and the next reads are served', async () => {
    const sql = rawSqlOf(api.db.prisma);
    let fail = true;
    const flaky: RawSql = (text, values, name) =>
      fail ? Promise.reject(new Error('connection lost')) : sql(text, values, name);
    const reader = createDeviceViewReader(flaky);
    const failed = await Promise.allSettled([reader.find('LS-1'), reader.find('LS-2')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await reader.find('LS-1')).toMatchObject({ serial: 'LS-1' });
  });

  it('concurrent GETs through the app answer each its own device', async () => {
    const answers = await Promise.all(
      ['LS-1', 'LS-2', 'LS-1', 'LS-NONE'].map((serial) =>
        request(api.app).get(`/v1/devices/${serial}`).set(api.auth(api.keys.viewer)),
      ),
    );
    expect(answers.map((a) => [a.status, a.body.serial ?? a.body.code])).toEqual([
      [200, 'LS-1'],
      [200, 'LS-2'],
      [200, 'LS-1'],
      [404, 'DEVICE_NOT_FOUND'],
    ]);
  });
});

describe('read audit by configuration', () => {
  const config = (mode: 'each' | 'batched' | 'sampled', rate = 0.5) =>
    loadConfig('api', apiSchema, {
      DATABASE_URL: api.db.url,
      API_READ_AUDIT: mode,
      API_READ_AUDIT_FLUSH_MS: '60000',
      API_READ_AUDIT_SAMPLE_RATE: String(rate),
    });
  const logger = createLogger({ name: 'read-audit-test', level: 'silent' });
  const reads = async (actor: string) =>
    api.db.prisma.auditEvent.findMany({ where: { actor, action: 'device.read' } });

  it('batched: buffered until the flush, then one row per read with its read time', async () => {
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'LS-2' } });
    const audit = createReadAudit(api.db.prisma, config('batched'), logger);
    const who = { actor: 'apikey:batched', origin: '10.0.0.1' };
    for (let i = 0; i < 3; i++)
      await audit.record(who, { action: 'device.read', deviceId: device.id, batchId: device.batchId });
    expect(await reads(who.actor)).toHaveLength(0);
    await audit.stop();
    const rows = await reads(who.actor);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ origin: '10.0.0.1', deviceId: device.id });
    expect((rows[0]!.details as { readAt: string }).readAt).toMatch(/^\d{4}-/);
  });

  it('sampled: keeps the reads under the rate only', async () => {
    const values = [0.1, 0.9, 0.2, 0.7];
    const audit = createReadAudit(api.db.prisma, config('sampled', 0.5), logger, () => values.shift()!);
    const who = { actor: 'apikey:sampled', origin: null };
    for (let i = 0; i < 4; i++) await audit.record(who, { action: 'device.read' });
    await audit.stop();
    expect(await reads(who.actor)).toHaveLength(2);
  });

  it('each: written before record() resolves', async () => {
    const audit = createReadAudit(api.db.prisma, config('each'), logger);
    await audit.record({ actor: 'apikey:each', origin: null }, { action: 'device.read' });
    expect(await reads('apikey:each')).toHaveLength(1);
  });
});

describe('API-key cache', () => {
  it('serves from the cache, and a revocation reaches it before the next request', async () => {
    const cache = api.keyCache!;
    await cache.ready();
    const created = await createApiKey(api.db.prisma, { name: 'cached', role: 'MES' });
    expect((await request(api.app).get('/v1/templates').set(api.auth(created.key))).status).toBe(200);
    const invalidated = cache.nextInvalidation();
    await api.db.query(`UPDATE api_key SET revoked_at = now() WHERE prefix = $1`, [created.key.slice(3, 15)]);
    await invalidated;
    const after = await request(api.app).get('/v1/templates').set(api.auth(created.key));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');
  });

  it('a last_used_at refresh announces nothing', async () => {
    const cache = api.keyCache!;
    await cache.ready();
    const before = cache.version();
    // Listen before sending: the first notice to arrive must be the probe.
    const next = cache.nextInvalidation();
    await api.db.query(`UPDATE api_key SET last_used_at = now()`);
    await api.db.query(`SELECT pg_notify('claimline_api_key', 'probe')`);
    // The probe is sent after the update on the same connection: when it arrives, any notice of the update would have.
    expect(await next).toBe('probe');
    expect(cache.version()).toBe(before + 1);
  });
});

describe('event streams', () => {
  it('share one poller per batch whatever the number of listeners, and stop at N per key', async () => {
    const batch = await api.db.prisma.batch.findFirstOrThrow({ where: { externalRef: 'WO-1' } });
    const server = api.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const open = () =>
      new Promise<{ status: number; first: Promise<string>; req: http.ClientRequest }>((resolve, reject) => {
        const req = http.get(
          { port, path: `/v1/batches/${batch.id}/events`, headers: api.auth(api.keys.mes) },
          (res) => {
            const first = new Promise<string>((got) => {
              let text = '';
              res.on('data', (chunk: Buffer) => {
                text += chunk.toString();
                if (text.includes('\n\n')) got(text);
              });
            });
            resolve({ status: res.statusCode ?? 0, first, req });
          },
        );
        req.on('error', reject);
      });
    try {
      const streams = [await open(), await open(), await open()];
      for (const s of streams) expect(s.status).toBe(200);
      for (const s of streams) expect(await s.first).toMatch(/^event: progress\ndata: \{"total":2/);
      expect(eventFeeds().get(`batch:${batch.id}`)).toBe(3);
      expect(eventFeeds().size).toBe(1);
      const fourth = await request(api.app).get(`/v1/batches/${batch.id}/events`).set(api.auth(api.keys.mes));
      expect(fourth.status).toBe(429);
      expect(fourth.body.code).toBe('TOO_MANY_STREAMS');
      for (const s of streams) s.req.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
