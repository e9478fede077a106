import fs from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger } from '@claimline/logger';
import { createVault } from '@claimline/vault';
import request from 'supertest';
import { createApiKey } from '../src/index.js';
import { batchBody, startTestApi, type TestApi } from './helpers.js';
import { enrol, newTestStation, stationRequest } from './station-signing.js';
import { createStationFixtures, seedUnits, type StationFixtures } from './station-fixtures.js';

/**
 * Issue 15, "redaction that holds": a real flow through the API (a batch, station downloads and
 * confirmations, failures that carry secrets near the logs) with every log line of the app captured at
 * trace level, then searched for PEM private keys, ownership tokens, API keys and sealed payloads.
 */
const lines: string[] = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

let api: TestApi;
let fixtures: StationFixtures;
const OWNERSHIP_TOKEN = `AQoDYXdzEJr-ownership-token-${'T'.repeat(40)}`;

beforeAll(async () => {
  fixtures = createStationFixtures();
  api = await startTestApi(fixtures.env, {
    logger: createLogger({ name: 'api', level: 'trace', destination }),
  });
});

afterAll(async () => {
  await api.close();
  fs.rmSync(fixtures.dir, { recursive: true, force: true });
});

/** `cl_<12 hex>_<secret>`: the secret may itself hold `_`. */
const secretPartOf = (apiKey: string) => apiKey.slice('cl_0123456789ab_'.length);
const pemBody = (pem: string) => pem.split('\n').slice(1, -2).join('');

it('logs no PEM key, ownership token, API key or sealed payload through a batch, a station loop and failures', async () => {
  const secrets: string[] = Object.values(api.keys).map(secretPartOf);
  const mes = () => api.auth(api.keys.mes);

  // The MES side: a batch (idempotent), reads.
  const batch = await request(api.app)
    .post('/v1/batches')
    .set(mes())
    .set('Idempotency-Key', 'log-1')
    .send(batchBody(['LOG-1', 'LOG-2']));
  expect(batch.status).toBe(202);
  expect((await request(api.app).get(`/v1/batches/${batch.body.id}`).set(mes())).status).toBe(200);
  expect((await request(api.app).get('/v1/devices/LOG-1').set(mes())).status).toBe(200);

  // A station: registered (its key is in the answer), public key, downloads, prefetch, confirmations.
  const station = await request(api.app)
    .post('/v1/stations')
    .set(api.auth(api.keys.admin))
    .send({ name: 'log-st' });
  expect(station.status).toBe(201);
  const stationKey = station.body.apiKey.key as string;
  secrets.push(secretPartOf(stationKey));
  const st = newTestStation(stationKey);
  const as = (method: 'get' | 'post' | 'put', path: string, body?: unknown) =>
    stationRequest(api.app, method, path, stationKey, st.signer, body);
  expect((await enrol(api.app, st)).status).toBe(200);
  const seeded = await seedUnits(api.db.prisma, fixtures, 'LG', 4);
  secrets.push(...seeded.units.map((u) => pemBody(u.keyPem)));
  const vault = createVault({
    VAULT_PROVIDER: 'local',
    VAULT_LOCAL_KEYS_FILE: fixtures.env.VAULT_LOCAL_KEYS_FILE!,
  });
  const [first, second, third, fourth] = seeded.units;
  const token = await vault.seal({
    plaintext: Buffer.from(OWNERSHIP_TOKEN),
    context: { serial: first!.serial, certificateId: first!.certificateId, purpose: 'ownership-token' },
  });
  await api.db.prisma.certificate.update({
    where: { certificateId: first!.certificateId },
    data: {
      ownershipTokenCiphertext: new Uint8Array(token.ciphertext),
      ownershipTokenWrappedKey: new Uint8Array(token.wrappedKey),
      ownershipTokenKekId: token.kekId,
      ownershipTokenAlgorithm: token.algorithm,
    },
  });
  secrets.push(OWNERSHIP_TOKEN);

  for (const unit of [first!, second!]) {
    const download = await as('get', `/v1/station/devices/${unit.serial}/credentials`);
    expect(download.status).toBe(200);
    secrets.push(download.body.sealedPrivateKey.ct);
  }
  const page = await as('get', `/v1/station/batches/${seeded.batchId}/credentials?limit=2`);
  expect(page.status).toBe(200);
  for (const item of page.body.items as { sealedPrivateKey: { ct: string } }[])
    secrets.push(item.sealedPrivateKey.ct);
  const confirm = (serial: string, result: 'ok' | 'failed') =>
    as('post', `/v1/station/devices/${serial}/confirm`, {
      result,
      burnLogSha256: 'b'.repeat(64),
      detail: `programmer said ${fourth!.keyPem}`,
    });
  expect((await confirm(first!.serial, 'ok')).status).toBe(200);
  expect((await confirm(second!.serial, 'failed')).status).toBe(200);

  // Failures with secrets next to them.
  const revoked = await createApiKey(api.db.prisma, { name: 'gone', role: 'MES' });
  await api.db.prisma.apiKey.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
  secrets.push(secretPartOf(revoked.key));
  expect((await request(api.app).get('/v1/batches').set(api.auth(revoked.key))).status).toBe(401);
  expect((await request(api.app).get(`/v1/batches?token=${api.keys.mes}`).set(mes())).status).toBe(400);
  expect(
    (await request(api.app).get('/v1/batches').set(mes()).set('X-Request-Id', api.keys.mes)).status,
  ).toBe(200);
  expect(
    (
      await request(api.app)
        .post('/v1/batches')
        .set(mes())
        .send({ ...batchBody(['LOG-3']), privateKeyPem: third!.keyPem })
    ).status,
  ).toBe(400);
  expect(
    (
      await request(api.app)
        .post('/v1/batches')
        .set(mes())
        .set('Content-Type', 'application/json')
        .send(third!.keyPem)
    ).status,
  ).toBe(400);
  // A private key pasted where the public key goes (accepted today: the public half is derived and stored).
  const privateAsPublic = await as('put', '/v1/station/key', {
    publicKey: third!.keyPem,
    signingPublicKey: st.signingPublicPem,
  });
  expect(privateAsPublic.status).toBeLessThan(500);
  // A sealed record the vault cannot open: an unhandled error, logged with its stack.
  await api.db.prisma.certificate.update({
    where: { certificateId: third!.certificateId },
    data: { privateKeyCiphertext: new Uint8Array(Buffer.from(third!.keyPem)) },
  });
  const broken = await as('get', `/v1/station/devices/${third!.serial}/credentials`);
  expect(broken.status).toBeGreaterThanOrEqual(400);

  // What was logged: every request, the failures among them; none of the secrets, no PEM key at all.
  await new Promise((resolve) => setImmediate(resolve));
  const text = lines.join('\n');
  expect(lines.length).toBeGreaterThanOrEqual(15);
  expect(text).toContain('/credentials');
  expect(text).toMatch(/"statusCode":401/);
  expect(text).not.toMatch(/PRIVATE KEY-----/);
  expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
  expect(text).not.toMatch(/cl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/);
  expect(text).not.toMatch(
    /"(?:sealedPrivateKey|ownershipToken|certificateOwnershipToken|privateKey\w*)":"(?!\[redacted\])/,
  );
});
