import { createApiKey, revokeApiKey } from '../src/index.js';
import express from 'express';
import request from 'supertest';
import { createConsoleSessions } from '../src/auth/console-session.js';
import { errorHandler } from '../src/errors/problem.js';
import { startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

type Session = { cookie: string; csrfToken: string; role: string };

async function signIn(key: string): Promise<Session> {
  const res = await request(api.app).post('/console/session').set(api.auth(key));
  expect(res.status).toBe(201);
  const setCookie = res.headers['set-cookie']![0]!;
  expect(setCookie).toMatch(/^cl_console=[A-Za-z0-9_-]{43};/);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Path=\/;/);
  expect(setCookie).not.toContain(key);
  return { cookie: setCookie.split(';')[0]!, csrfToken: res.body.csrfToken, role: res.body.role };
}

const unknownBatch = '00000000-0000-4000-8000-000000000000';

describe('console session', () => {
  it('signs in any read role; the cookie authenticates /v1 reads and the session view', async () => {
    for (const key of [api.keys.viewer, api.keys.mes, api.keys.admin]) {
      const session = await signIn(key);
      const list = await request(api.app).get('/v1/batches').set('Cookie', session.cookie);
      expect(list.status).toBe(200);
      const view = await request(api.app).get('/console/session').set('Cookie', session.cookie);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ role: session.role, csrfToken: session.csrfToken });
      expect(view.body.keyPrefix).toMatch(/^[A-Za-z0-9]+$/);
    }
  });

  it('refuses a STATION key and a request without key or cookie', async () => {
    const station = await request(api.app).post('/console/session').set(api.auth(api.keys.station));
    expect(station.status).toBe(403);
    expect(station.body.code).toBe('FORBIDDEN');
    const anonymous = await request(api.app).get('/v1/batches');
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
  });

  it('requires the CSRF token on every mutation made with the cookie', async () => {
    const admin = await signIn(api.keys.admin);
    const retry = `/v1/batches/${unknownBatch}/retry`;
    const none = await request(api.app).post(retry).set('Cookie', admin.cookie);
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await request(api.app)
      .post(retry)
      .set('Cookie', admin.cookie)
      .set(
        'X-CSRF-Token',
        admin.csrfToken.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
      );
    expect(wrong.body.code).toBe('CSRF_TOKEN_INVALID');
    // Another session's token does not fit this one.
    const other = await signIn(api.keys.admin);
    const crossed = await request(api.app)
      .post(retry)
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', other.csrfToken);
    expect(crossed.body.code).toBe('CSRF_TOKEN_INVALID');
    const right = await request(api.app)
      .post(retry)
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', admin.csrfToken);
    expect(right.status).toBe(404);
    expect(right.body.code).toBe('BATCH_NOT_FOUND');
  });

  it("keeps a VIEWER's session to reads: a mutation with the right token is still 403 FORBIDDEN", async () => {
    const viewer = await signIn(api.keys.viewer);
    const res = await request(api.app)
      .post(`/v1/batches/${unknownBatch}/retry`)
      .set('Cookie', viewer.cookie)
      .set('X-CSRF-Token', viewer.csrfToken);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('signs out at once (CSRF required); the cookie then answers 401 SESSION_EXPIRED', async () => {
    const session = await signIn(api.keys.mes);
    const noToken = await request(api.app).delete('/console/session').set('Cookie', session.cookie);
    expect(noToken.body.code).toBe('CSRF_TOKEN_INVALID');
    const out = await request(api.app)
      .delete('/console/session')
      .set('Cookie', session.cookie)
      .set('X-CSRF-Token', session.csrfToken);
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']![0]).toMatch(/^cl_console=;/);
    const after = await request(api.app).get('/v1/batches').set('Cookie', session.cookie);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('SESSION_EXPIRED');
  });

  it('ends the session of a revoked key', async () => {
    const created = await createApiKey(api.db.prisma, { name: 'revoked viewer', role: 'VIEWER' });
    const session = await signIn(created.key);
    expect((await request(api.app).get('/v1/batches').set('Cookie', session.cookie)).status).toBe(200);
    await revokeApiKey(api.db.prisma, created.prefix);
    const after = await request(api.app).get('/v1/batches').set('Cookie', session.cookie);
    expect(after.body.code).toBe('SESSION_EXPIRED');
  });

  it('a forged or malformed cookie is SESSION_EXPIRED, a Bearer header wins over the cookie', async () => {
    const forged = await request(api.app)
      .get('/v1/batches')
      .set('Cookie', `cl_console=${'A'.repeat(43)}`);
    expect(forged.body.code).toBe('SESSION_EXPIRED');
    const both = await request(api.app)
      .get('/v1/batches')
      .set('Cookie', `cl_console=junk`)
      .set(api.auth(api.keys.viewer));
    expect(both.status).toBe(200);
  });
});

it('a session expires after its time-to-live', async () => {
  const sessions = createConsoleSessions(api.db.prisma, api.redis, {
    keyPrefix: `ttl-${Date.now()}`,
    ttlMs: 400,
  });
  const row = (await api.db.prisma.apiKey.findFirst({ where: { role: 'VIEWER', revokedAt: null } }))!;
  const principal = { keyId: row.id, prefix: row.prefix, role: row.role, stationId: null };
  const app = express();
  app.post('/open', async (_req, res) => {
    res.json(await sessions.open(res, principal));
  });
  app.get('/view', async (req, res) => {
    res.json(await sessions.view(req));
  });
  app.use(errorHandler);
  const opened = await request(app).post('/open');
  const cookie = opened.headers['set-cookie']![0]!.split(';')[0]!;
  expect((await request(app).get('/view').set('Cookie', cookie)).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 600));
  const expired = await request(app).get('/view').set('Cookie', cookie);
  expect(expired.status).toBe(401);
  expect(expired.body.code).toBe('SESSION_EXPIRED');
});
