import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { createRequestSigner } from '@claimline/station-contract';
import { createApiClient } from '../src/api-client.js';
import { StationError } from '../src/station-error.js';

/**
 * The client checks every answer against @claimline/station-contract: a body that is not what the API
 * serves (another version, a proxy's page) is refused with a SERVER_ERROR naming the field, instead of
 * reaching the burn. A plain HTTP server stands in for such a server; the real API is in station.test.ts.
 */
let server: Server;
let body: unknown;
let base: string;
const signer = createRequestSigner(generateKeyPairSync('ed25519').privateKey, () => 'n'.repeat(22));
const newClient = () => createApiClient(base, 'cl_x_y', 5_000, { signer });

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function refusal(run: () => Promise<unknown>): Promise<StationError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(StationError);
    return error as StationError;
  }
  throw new Error('expected the answer to be refused');
}

describe('station API client', () => {
  it('refuses credentials whose sealed key is missing, naming the field', async () => {
    body = { serial: 'SN-1', certificateId: 'c', certificatePem: 'x' };
    const error = await refusal(() => newClient().credentials('SN-1'));
    expect(error.code).toBe('SERVER_ERROR');
    expect(error.message).toContain('/v1/station/devices/SN-1/credentials');
    expect(error.message).toContain('batchId');
  });

  it('refuses a confirmation answer with an unknown state', async () => {
    body = { serial: 'SN-1', state: 'MELTED', changed: true, keyShredded: false };
    const client = newClient();
    const error = await refusal(() =>
      client.confirm('SN-1', { result: 'ok', burnLogSha256: 'a'.repeat(64) }),
    );
    expect(error.message).toContain('state');
  });

  it('returns a valid answer as parsed', async () => {
    body = { serial: 'SN-1', state: 'BURNED', changed: true, keyShredded: true };
    const client = newClient();
    expect(await client.confirm('SN-1', { result: 'ok', burnLogSha256: 'a'.repeat(64) })).toEqual(body);
  });
});

describe('transport', () => {
  it('refuses plain HTTP to another machine unless --insecure-http', () => {
    expect(() => createApiClient('http://10.1.2.3:8080', 'k', 1000, { signer })).toThrow(
      expect.objectContaining({ code: 'INSECURE_SERVER' }),
    );
    expect(() => createApiClient('ftp://10.1.2.3', 'k', 1000, { signer })).toThrow(
      expect.objectContaining({ code: 'INSECURE_SERVER' }),
    );
    for (const ok of ['https://api.example', 'http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:2'])
      expect(() => createApiClient(ok, 'k', 1000, { signer })).not.toThrow();
    expect(() =>
      createApiClient('http://10.1.2.3:8080', 'k', 1000, { signer, insecureHttp: true }),
    ).not.toThrow();
  });
});
