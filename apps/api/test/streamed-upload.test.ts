import request from 'supertest';
import { startTestApi, type TestApi } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    API_MAX_STREAM_UNITS: '5',
    API_ALLOWED_TEMPLATES: JSON.stringify({
      'claimline-default': {
        parameters: { Line: { type: 'string' }, Rev: { type: 'number' } },
      },
    }),
  });
});
afterAll(() => api.close());

const query = 'externalRef=WO-UP&templateName=claimline-default&payloadFormat=json&mode=create-keys';
const upload = (type: string, body: string, extra = '') =>
  request(api.app)
    .post(`/v1/batches/upload?${query}${extra}`)
    .set(api.auth(api.keys.mes))
    .set('Content-Type', type)
    .send(body);

describe('streamed batch upload', () => {
  it('stores and enqueues a CSV upload (header line, parameter columns)', async () => {
    const before = await api.counts();
    const res = await upload('text/csv', 'serial,Line\nUP-1,A\nUP-2,B\n\nUP-3,C\n');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ requested: 3, created: 3, skipped: 0, enqueued: 3 });
    expect(res.headers.location).toBe(`/v1/batches/${res.body.id}`);
    const after = await api.counts();
    expect(after.devices - before.devices).toBe(3);
    expect(after.jobs - before.jobs).toBe(3);
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'UP-2' } });
    expect(device.parameters).toEqual({ Line: 'B' });
  });

  it('stores an NDJSON upload with typed parameters', async () => {
    const res = await upload(
      'application/x-ndjson',
      '{"serial":"ND-1","parameters":{"Rev":3}}\n{"serial":"ND-2"}\n',
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ requested: 2, created: 2, enqueued: 2 });
    const device = await api.db.prisma.device.findUniqueOrThrow({ where: { serial: 'ND-1' } });
    expect(device.parameters).toEqual({ Rev: 3 });
  });

  it.each([
    ['text/csv', 'serial\nOK-1\nbad serial!\n', 'INVALID_UPLOAD', /line 3/],
    ['text/csv', 'name\nOK-1\n', 'INVALID_UPLOAD', /serial/],
    ['text/csv', '__proto__,serial\nx,OK-1\n', 'INVALID_UPLOAD', /line 1/],
    ['text/csv', 'serial\n"OK-1\n', 'INVALID_UPLOAD', /CSV_/],
    ['text/csv', 'serial\nOK\u00001\n', 'INVALID_UPLOAD', /line 2/],
    ['application/x-ndjson', '{"serial":"OK-1"}\n{"serial":\n', 'INVALID_UPLOAD', /line 2: not valid JSON/],
    ['application/x-ndjson', '{"serial":"OK-1","__proto__":{}}\n', 'INVALID_UPLOAD', /line 1/],
    ['application/x-ndjson', '{"serial":"OK-1","extra":1}\n', 'INVALID_UPLOAD', /line 1/],
    ['text/csv', 'serial\n', 'INVALID_UPLOAD', /no device/],
    ['text/csv', 'serial\nD-1\nD-2\nD-1\n', 'DUPLICATE_SERIALS', /more than once/],
    ['text/csv', 'serial\nUP-1\n', 'SERIALS_EXIST', /skipExisting/],
    ['text/csv', 'serial\nL1\nL2\nL3\nL4\nL5\nL6\n', 'BATCH_TOO_LARGE', /more than 5/],
    ['text/plain', 'serial\nOK-1\n', 'UNSUPPORTED_MEDIA_TYPE', /text\/csv/],
  ])('refuses %s %j with %s and stores nothing', async (type, body, code, detail) => {
    const before = await api.counts();
    const res = await upload(type, body);
    expect(res.body).toMatchObject({ code });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.detail).toMatch(detail);
    expect(await api.counts()).toEqual(before);
  });

  it('skips existing serials with skipExisting=true', async () => {
    const res = await upload('text/csv', 'serial\nUP-1\nSK-1\n', '&skipExisting=true');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ requested: 2, created: 1, skipped: 1, skippedSerials: ['UP-1'] });
  });

  it('refuses bad batch fields in the query before reading the body', async () => {
    const res = await request(api.app)
      .post('/v1/batches/upload?externalRef=x')
      .set(api.auth(api.keys.mes))
      .set('Content-Type', 'text/csv')
      .send('serial\nQ-1\n');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const viewer = await request(api.app)
      .post(`/v1/batches/upload?${query}`)
      .set(api.auth(api.keys.viewer))
      .set('Content-Type', 'text/csv')
      .send('serial\nQ-1\n');
    expect(viewer.status).toBe(403);
  });
});
