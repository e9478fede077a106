import { adminJson, startTestEmulator, type TestEmulator } from './helpers.js';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.cleanup();
});

const raw = (target: TestEmulator, path: string, init: RequestInit = {}) =>
  fetch(`${target.adminUrl}${path}`, init).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  }));

describe('admin API authentication', () => {
  it('listens on loopback by default', () => {
    expect(new URL(emulator.adminUrl).hostname).toBe('127.0.0.1');
  });

  it('with a token: every route but /healthz needs `Authorization: Bearer <token>`', async () => {
    expect(await raw(emulator, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await raw(emulator, '/things')).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    const wrong = { authorization: `Bearer ${emulator.adminToken}x` };
    expect(await raw(emulator, '/faults', { headers: wrong })).toMatchObject({ status: 401 });
    const basic = { authorization: `Basic ${Buffer.from(`a:${emulator.adminToken}`).toString('base64')}` };
    expect(await raw(emulator, '/faults', { headers: basic })).toMatchObject({ status: 401 });
    expect(await adminJson(emulator, '/things')).toEqual({ status: 200, body: [] });
  });

  it('the token appears in no log line', () => {
    expect(emulator.logs.join('')).not.toContain(emulator.adminToken);
  });

  it('beyond loopback without a token the emulator does not start; with one it serves', async () => {
    await expect(startTestEmulator({ adminHost: '0.0.0.0', adminToken: undefined })).rejects.toThrow(
      /beyond loopback.*EMULATOR_ADMIN_TOKEN/,
    );
    const open = await startTestEmulator({ adminHost: '0.0.0.0' });
    try {
      expect((await raw(open, '/counters')).status).toBe(401);
      expect((await adminJson(open, '/counters')).status).toBe(200);
    } finally {
      await open.cleanup();
    }
  });

  it('on loopback without a token the API is open (local tools), still JSON-only for changes', async () => {
    const local = await startTestEmulator({ adminToken: undefined });
    try {
      expect((await raw(local, '/quotas')).status).toBe(200);
      const form = await raw(local, '/quotas', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '"off"',
      });
      expect(form).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    } finally {
      await local.cleanup();
    }
  });
});

describe('admin API state changes: POST with a JSON body only', () => {
  const auth = () => ({ authorization: `Bearer ${emulator.adminToken}` });

  it.each([
    ['no content type', {}, '{"errorRate":1}'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'errorRate=1'],
    ['text/plain (a no-preflight fetch)', { 'content-type': 'text/plain' }, '{"errorRate":1}'],
    ['JSON without a body', { 'content-type': 'application/json' }, undefined],
  ])('%s → 415, nothing changed', async (_case, headers, body) => {
    const answer = await raw(emulator, '/faults', {
      method: 'POST',
      headers: { ...auth(), ...headers },
      body,
    });
    expect(answer).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect((await adminJson(emulator, '/faults')).body).toMatchObject({ errorRate: 0 });
  });

  it('PUT is not a route any more; POST changes faults and quotas', async () => {
    const put = await adminJson(emulator, '/faults', { method: 'PUT', body: '{"errorRate":1}' });
    expect(put.status).toBe(404);
    const faults = await adminJson(emulator, '/faults', { method: 'POST', body: '{"errorRate":0.5}' });
    expect(faults).toMatchObject({ status: 200, body: { errorRate: 0.5 } });
    expect((await adminJson(emulator, '/faults')).body).toMatchObject({ errorRate: 0.5 });
    await adminJson(emulator, '/faults', { method: 'POST', body: '{}' });
    const quotas = await adminJson(emulator, '/quotas', { method: 'POST', body: '{"connectPerSecond":7}' });
    expect(quotas).toMatchObject({ status: 200, body: { connectPerSecond: 7 } });
  });

  it('a revoke needs the token and a JSON body too', async () => {
    const missing = await raw(emulator, '/certificates/abc/revoke', { method: 'POST', headers: auth() });
    expect(missing.status).toBe(415);
    expect((await adminJson(emulator, '/certificates/abc/revoke', { method: 'POST' })).status).toBe(404);
  });
});
