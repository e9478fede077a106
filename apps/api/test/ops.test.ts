import { execFileSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3.1 document, served at /openapi.json', async () => {
    const res = await request(api.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    // swagger-parser is ESM-only and Jest runs CommonJS here: validate in a plain Node child process.
    const script = `import P from '@apidevtools/swagger-parser'; let t = ''; process.stdin.on('data', (c) => (t += c));
      process.stdin.on('end', () => P.validate(JSON.parse(t)).then(() => console.log('valid'), (e) => { console.log(e.message); process.exit(1); }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      input: JSON.stringify(res.body),
      cwd: path.join(__dirname, '..'),
    }).toString();
    expect(out.trim()).toBe('valid');
  });

  it('documents every route registered in the express app', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const stack = (api.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const routes = stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => ({ method: m, path: l.route!.path })));
    expect(routes.length).toBeGreaterThanOrEqual(17);
    for (const { method, path } of routes) {
      const openApiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect({ method, path, documented: Boolean(doc.paths[openApiPath]?.[method]) }).toEqual({
        method,
        path,
        documented: true,
      });
    }
  });

  it('names the station components from @claimline/station-contract and refers to them', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const name of ['DeviceCredentials', 'SealedPrivateKey', 'CredentialsPage', 'ConfirmBurnResult']) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    expect(doc.components.schemas.DeviceCredentials?.properties?.sealedPrivateKey).toEqual({
      $ref: '#/components/schemas/SealedPrivateKey',
    });
    const download = doc.paths['/v1/station/devices/{serial}/credentials']?.get?.responses['200'];
    expect(download).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/DeviceCredentials' } } },
    });
  });

  it('renders the docs page from local assets', async () => {
    const page = await request(api.app).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
    const asset = await request(api.app).get('/docs/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
  });
});

describe('operations', () => {
  it('healthz, readyz and metrics answer', async () => {
    expect((await request(api.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(api.app.opsApp).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['postgres', true],
      ['redis', true],
      ['migrations', true],
    ]);
    await request(api.app).get('/v1/templates').set(api.auth(api.keys.mes));
    const metrics = await request(api.app.opsApp).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /http_request_duration_seconds_count\{route="\/v1\/templates",method="GET",status="200"\} 1/,
    );
    expect(metrics.text).toMatch(/claimline_batches\{state="open"\} 0/);
    expect(metrics.text).toContain('claimline_devices');
  });

  it('serves readyz and metrics only on the ops listener: the public one answers 404 without a query', async () => {
    for (const path of ['/readyz', '/metrics']) {
      const res = await request(api.app).get(path);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect(api.app.openApiDocument.paths).not.toHaveProperty('/metrics');
    expect((await request(api.app.opsApp).get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('readyz answers 503 naming the failed check when a migration is missing', async () => {
    await api.db.query(
      `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name LIKE '%provision_generation'`,
    );
    try {
      const res = await request(api.app.opsApp).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('NOT_READY');
      expect(res.body.detail).toMatch(/migrations \(pending: .*provision_generation\)/);
    } finally {
      await api.db.query(
        `UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name LIKE '%provision_generation'`,
      );
    }
  });

  it('honours X-Request-Id and sets security headers', async () => {
    const res = await request(api.app).get('/healthz').set('X-Request-Id', 'req-123');
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const generated = await request(api.app).get('/healthz').set('X-Request-Id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rate-limits per API key', async () => {
    const limited = await startTestApi({ API_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const call = (key: string) => request(limited.app).get('/v1/templates').set(limited.auth(key));
      expect((await call(limited.keys.mes)).status).toBe(200);
      expect((await call(limited.keys.mes)).status).toBe(200);
      const third = await call(limited.keys.mes);
      expect({ status: third.status, code: third.body.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect((await call(limited.keys.viewer)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('dashboard', () => {
  it('refuses anonymous and non-admin callers', async () => {
    expect((await request(api.app).get('/admin/queues')).body.code).toBe('UNAUTHENTICATED');
    const mes = await request(api.app).get('/admin/queues').set(api.auth(api.keys.mes));
    expect({ status: mes.status, code: mes.body.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const forged = await request(api.app)
      .get('/admin/queues')
      .set('Cookie', 'cl_admin=abcdef012345.9999999999999.forged');
    expect(forged.status).toBe(401);
  });

  it('serves bull-board with every queue to an admin key, and to the session cookie it sets', async () => {
    const direct = await request(api.app).get('/admin/queues/api/queues').set(api.auth(api.keys.admin));
    expect(direct.status).toBe(200);
    expect(direct.body.queues.map((q: { name: string }) => q.name)).toEqual(['provisioning', 'maintenance']);
    const session = await request(api.app).post('/admin/session').set(api.auth(api.keys.admin));
    expect(session.status).toBe(204);
    const cookie = session.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).not.toContain(api.keys.admin);
    const page = await request(api.app).get('/admin/queues').set('Cookie', cookie.split(';')[0]!);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
  });
});
