import request from 'supertest';
import { createApiKey } from '../src/index.js';
import { batchBody, serials, startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
let revokedKey: string;
let existingBatchId: string;
let finishedBatchId: string;
const MAX = 50;

beforeAll(async () => {
  api = await startTestApi({ API_MAX_DEVICES_PER_BATCH: String(MAX), API_BODY_LIMIT: '20kb' });
  const created = await createApiKey(api.db.prisma, { name: 'gone', role: 'MES' });
  await api.db.prisma.apiKey.update({ where: { id: created.id }, data: { revokedAt: new Date() } });
  revokedKey = created.key;
  const first = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['EXIST-1', 'EXIST-2']));
  expect(first.status).toBe(202);
  existingBatchId = first.body.id;
  const second = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['DONE-1']));
  finishedBatchId = second.body.id;
  await api.db.prisma.device.updateMany({
    where: { batchId: finishedBatchId },
    data: { state: 'REGISTERED', registeredAt: new Date() },
  });
  await api.db.prisma.batch.update({ where: { id: finishedBatchId }, data: { finishedAt: new Date() } });
  // One idempotent request whose key is then reused with another body.
  const idem = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .set('Idempotency-Key', 'k-1')
    .send(batchBody(['IDEM-1']));
  expect(idem.status).toBe(202);
});

afterAll(async () => {
  await api.close();
});

type Case = {
  name: string;
  method?: 'get' | 'post';
  path?: string;
  key?: 'admin' | 'mes' | 'viewer' | 'station' | 'revoked' | 'none';
  authorization?: string;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: { contentType: string; data: string };
  status: number;
  code: string;
  check?: (body: Record<string, unknown>) => void;
};

const valid = () => batchBody(['NEW-1', 'NEW-2']);
const withField = (field: string, value: unknown) => ({ ...valid(), [field]: value });
const without = (field: string) => {
  const body: Record<string, unknown> = valid();
  delete body[field];
  return body;
};
const QUEUED_DEVICE = 'EXIST-1';

const cases: Case[] = [
  {
    name: 'malformed JSON',
    raw: { contentType: 'application/json', data: '{"externalRef": ' },
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'wrong content type',
    raw: { contentType: 'text/plain', data: 'hello' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form-encoded body',
    raw: { contentType: 'application/x-www-form-urlencoded', data: 'a=b' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body too large',
    raw: { contentType: 'application/json', data: JSON.stringify({ ...valid(), pad: 'x'.repeat(30_000) }) },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  { name: 'missing externalRef', body: without('externalRef'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'missing devices', body: without('devices'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'missing payloadFormat', body: without('payloadFormat'), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON array instead of object', body: [1, 2], status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'unknown top-level field',
    body: withField('colour', 'blue'),
    status: 400,
    code: 'VALIDATION_FAILED',
    check: (b) => expect(JSON.stringify(b.issues)).toContain('colour'),
  },
  {
    name: 'unknown device field',
    body: withField('devices', [{ serial: 'A1', color: 'red' }]),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'bad serial format',
    body: withField('devices', [{ serial: 'OK-1' }, { serial: 'bad serial!' }]),
    status: 400,
    code: 'VALIDATION_FAILED',
    check: (b) =>
      expect((b.issues as { path: unknown[] }[])[0]!.path).toEqual(['body', 'devices', 1, 'serial']),
  },
  {
    name: 'serial starting with a dash',
    body: withField('devices', [{ serial: '-A' }]),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'serial too long',
    body: withField('devices', [{ serial: 'A'.repeat(65) }]),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'empty batch', body: withField('devices', []), status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'over-limit batch',
    body: batchBody(serials('OVER', MAX + 1)),
    status: 422,
    code: 'BATCH_TOO_LARGE',
  },
  {
    name: 'duplicate serials in the request',
    body: batchBody(['D-1', 'D-2', 'D-1', 'D-3', 'D-2']),
    status: 400,
    code: 'DUPLICATE_SERIALS',
    check: (b) => expect((b.serials as string[]).sort()).toEqual(['D-1', 'D-2']),
  },
  {
    name: 'serials that already exist',
    body: batchBody(['FRESH-1', 'EXIST-2', 'EXIST-1']),
    status: 409,
    code: 'SERIALS_EXIST',
    check: (b) => expect((b.serials as string[]).sort()).toEqual(['EXIST-1', 'EXIST-2']),
  },
  {
    name: 'unknown template',
    body: withField('templateName', 'nope'),
    status: 422,
    code: 'UNKNOWN_TEMPLATE',
  },
  {
    name: 'unknown template parameter',
    body: withField('templateParameters', { Colour: 'red' }),
    status: 422,
    code: 'TEMPLATE_PARAMETERS_INVALID',
  },
  {
    name: 'template parameter of the wrong type',
    body: withField('templateParameters', { SerialNumber: 5 }),
    status: 422,
    code: 'TEMPLATE_PARAMETERS_INVALID',
  },
  {
    name: 'bad payloadFormat',
    body: withField('payloadFormat', 'xml'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'bad mode', body: withField('mode', 'magic'), status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'bad keyAlgorithm',
    body: withField('keyAlgorithm', 'dsa'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'priority above 100', body: withField('priority', 101), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'fractional priority', body: withField('priority', 1.5), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'priority as a string', body: withField('priority', '5'), status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'skipExisting not a boolean',
    body: withField('skipExisting', 'yes'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'Idempotency-Key replay with another body',
    headers: { 'Idempotency-Key': 'k-1' },
    body: batchBody(['IDEM-2']),
    status: 409,
    code: 'IDEMPOTENCY_KEY_REUSED',
  },
  { name: 'missing key', key: 'none', body: valid(), status: 401, code: 'UNAUTHENTICATED' },
  { name: 'revoked key', key: 'revoked', body: valid(), status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'malformed Authorization header',
    authorization: 'Basic dXNlcjpwYXNz',
    body: valid(),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'Bearer with a malformed key',
    authorization: 'Bearer cl_nothex_short',
    body: valid(),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'Bearer with an unknown well-formed key',
    authorization: `Bearer cl_0123456789ab_${'A'.repeat(43)}`,
    body: valid(),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  { name: 'viewer may not POST a batch', key: 'viewer', body: valid(), status: 403, code: 'FORBIDDEN' },
  { name: 'station may not POST a batch', key: 'station', body: valid(), status: 403, code: 'FORBIDDEN' },
  {
    name: 'station may not read batches',
    key: 'station',
    method: 'get',
    path: '/v1/batches',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'MES may not reprovision (admin)',
    key: 'mes',
    method: 'post',
    path: `/v1/devices/${QUEUED_DEVICE}/reprovision`,
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'MES may not revoke (admin)',
    key: 'mes',
    method: 'post',
    path: `/v1/devices/${QUEUED_DEVICE}/revoke`,
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'MES may not open a dashboard session',
    key: 'mes',
    method: 'post',
    path: '/admin/session',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'MES may not use station endpoints',
    key: 'mes',
    method: 'get',
    path: '/v1/station/next',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'bad cursor',
    method: 'get',
    path: () => `/v1/batches/${existingBatchId}/devices?cursor=not-a-cursor`,
    status: 400,
    code: 'INVALID_CURSOR',
  },
  { name: 'page 0', method: 'get', path: '/v1/batches?page=0', status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'limit too large',
    method: 'get',
    path: '/v1/batches?limit=100000',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'non-numeric page',
    method: 'get',
    path: '/v1/batches?page=two',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'bad state filter',
    method: 'get',
    path: '/v1/batches?state=paused',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'unknown query parameter',
    method: 'get',
    path: '/v1/batches?sort=name',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'unknown batch id',
    method: 'get',
    path: '/v1/batches/00000000-0000-4000-8000-000000000000',
    status: 404,
    code: 'BATCH_NOT_FOUND',
  },
  {
    name: 'non-uuid batch id',
    method: 'get',
    path: '/v1/batches/42',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'unknown device',
    method: 'get',
    path: '/v1/devices/NO-SUCH-SERIAL',
    status: 404,
    code: 'DEVICE_NOT_FOUND',
  },
  { name: 'unknown route', method: 'get', path: '/v1/nothing-here', status: 404, code: 'NOT_FOUND' },
  {
    name: 'bad device-state filter',
    method: 'get',
    path: () => `/v1/batches/${existingBatchId}/devices?state=SLEEPING`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'bad report format',
    method: 'get',
    path: () => `/v1/batches/${existingBatchId}/report?format=xml`,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'retry with no failed devices',
    method: 'post',
    path: () => `/v1/batches/${existingBatchId}/retry`,
    status: 409,
    code: 'NO_FAILED_DEVICES',
  },
  {
    name: 'cancel a finished batch',
    method: 'post',
    path: () => `/v1/batches/${finishedBatchId}/cancel`,
    status: 409,
    code: 'BATCH_NOT_OPEN',
  },
  {
    name: 'cancel an unknown batch',
    method: 'post',
    path: '/v1/batches/00000000-0000-4000-8000-000000000000/cancel',
    status: 404,
    code: 'BATCH_NOT_FOUND',
  },
  {
    name: 'reprovision a QUEUED device',
    key: 'admin',
    method: 'post',
    path: `/v1/devices/${QUEUED_DEVICE}/reprovision`,
    status: 409,
    code: 'INVALID_DEVICE_STATE',
  },
  {
    name: 'revoke without an ACTIVE certificate',
    key: 'admin',
    method: 'post',
    path: `/v1/devices/${QUEUED_DEVICE}/revoke`,
    status: 409,
    code: 'NO_ACTIVE_CERTIFICATE',
  },
  {
    name: 'reprovision an unknown device',
    key: 'admin',
    method: 'post',
    path: '/v1/devices/NOPE-1/reprovision',
    status: 404,
    code: 'DEVICE_NOT_FOUND',
  },
  // Issue 15, "no 500 on any input": each of these answered 500 (or was accepted) before.
  {
    name: 'NUL byte in a path serial',
    method: 'get',
    path: '/v1/devices/SN%00-1',
    status: 400,
    code: 'UNSTORABLE_TEXT',
    check: (b) => expect(b.path).toEqual(['params', 'serial']),
  },
  {
    name: 'NUL byte in a string field',
    body: withField('externalRef', 'WO\u0000-1'),
    status: 400,
    code: 'UNSTORABLE_TEXT',
    check: (b) => expect(b.path).toEqual(['body', 'externalRef']),
  },
  {
    name: 'NUL byte in a serial in the body',
    body: withField('devices', [{ serial: 'OK-1' }, { serial: 'N\u0000' }]),
    status: 400,
    code: 'UNSTORABLE_TEXT',
    check: (b) => expect(b.path).toEqual(['body', 'devices', 1, 'serial']),
  },
  {
    name: 'NUL byte in a query string',
    method: 'get',
    path: '/v1/batches?externalRef=WO%00',
    status: 400,
    code: 'UNSTORABLE_TEXT',
  },
  {
    name: 'lone UTF-16 surrogate in template parameters',
    body: withField('templateParameters', { SerialNumber: 'A\ud800' }),
    status: 400,
    code: 'UNSTORABLE_TEXT',
    check: (b) => expect(b.path).toEqual(['body', 'templateParameters', 'SerialNumber']),
  },
  {
    name: 'lone UTF-16 surrogate in an object key',
    body: withField('templateParameters', { ['K\udc00']: 'v' }),
    status: 400,
    code: 'UNSTORABLE_TEXT',
  },
  {
    name: 'lone surrogate (CESU-8) in a path serial',
    method: 'get',
    path: '/v1/devices/SN%ED%A0%80',
    status: 400,
    code: 'MALFORMED_URL',
  },
  {
    name: 'malformed percent-encoding in a path serial',
    method: 'get',
    path: '/v1/devices/SN%E0%A4%A',
    status: 400,
    code: 'MALFORMED_URL',
  },
  ...['constructor', '__proto__', 'toString'].map((templateName) => ({
    name: `templateName "${templateName}" (not read from the prototype chain)`,
    body: withField('templateName', templateName),
    status: 422,
    code: 'UNKNOWN_TEMPLATE',
  })),
  {
    name: 'template parameter named "hasOwnProperty" (unknown, not inherited)',
    body: withField('templateParameters', { hasOwnProperty: 'x' }),
    status: 422,
    code: 'TEMPLATE_PARAMETERS_INVALID',
  },
  {
    name: '__proto__ key in template parameters',
    raw: {
      contentType: 'application/json',
      data: JSON.stringify(valid()).replace(/}$/, ',"templateParameters":{"__proto__":{"polluted":1}}}'),
    },
    status: 400,
    code: 'RESERVED_KEY',
    check: (b) => expect(b.path).toEqual(['body', 'templateParameters', '__proto__']),
  },
  {
    name: 'constructor key in a device',
    raw: {
      contentType: 'application/json',
      data: JSON.stringify(withField('devices', [{ serial: 'C-1', constructor: { prototype: 1 } }])),
    },
    status: 400,
    code: 'RESERVED_KEY',
  },
  {
    name: 'Idempotency-Key of 8,000 characters',
    headers: { 'Idempotency-Key': 'k'.repeat(8_000) },
    body: valid(),
    status: 400,
    code: 'INVALID_HEADER',
    check: (b) => expect(JSON.stringify(b.issues)).toContain('idempotency-key'),
  },
  {
    name: 'Idempotency-Key of 256 characters',
    headers: { 'Idempotency-Key': 'k'.repeat(256) },
    body: valid(),
    status: 400,
    code: 'INVALID_HEADER',
  },
  {
    name: 'Idempotency-Key with a space',
    headers: { 'Idempotency-Key': 'two words' },
    body: valid(),
    status: 400,
    code: 'INVALID_HEADER',
  },
  {
    name: 'Idempotency-Key with a non-ASCII character',
    headers: { 'Idempotency-Key': 'caf\u00e9' },
    body: valid(),
    status: 400,
    code: 'INVALID_HEADER',
  },
] as (Case & { path?: string | (() => string) })[] as Case[];

describe('bad input: status, code, and nothing written', () => {
  it('has at least 30 kinds', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$name → $status $code', async (c) => {
    const before = await api.counts();
    const jobIds = (
      await api.queues.provisioning.getJobs([
        'waiting',
        'prioritized',
        'delayed',
        'active',
        'failed',
        'completed',
      ])
    )
      .map((j) => j.id)
      .sort();
    const method = c.method ?? 'post';
    const path = typeof c.path === 'function' ? (c.path as () => string)() : (c.path ?? '/v1/batches');
    let req = request(api.app)[method](path);
    const key = c.key ?? 'mes';
    if (c.authorization) req = req.set('Authorization', c.authorization);
    else if (key === 'revoked') req = req.set(api.auth(revokedKey));
    else if (key !== 'none') req = req.set(api.auth(api.keys[key]));
    for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
    const res = c.raw
      ? await req.set('Content-Type', c.raw.contentType).send(c.raw.data)
      : c.body === undefined
        ? await req
        : await req.send(c.body as object);

    expect({ status: res.status, code: res.body.code }).toEqual({ status: c.status, code: c.code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: c.status,
      detail: expect.any(String),
    });
    if (c.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    c.check?.(res.body);

    const after = await api.counts();
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    if (method === 'post') expect(after.audit).toBe(before.audit);
    const jobIdsAfter = (
      await api.queues.provisioning.getJobs([
        'waiting',
        'prioritized',
        'delayed',
        'active',
        'failed',
        'completed',
      ])
    )
      .map((j) => j.id)
      .sort();
    expect(jobIdsAfter).toEqual(jobIds);
    expect(JSON.stringify(res.body)).not.toMatch(/cl_[0-9a-f]{12}_/);
  });
});
