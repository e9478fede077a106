import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { MqttClient } from 'mqtt';
import {
  claimCredentials,
  connectMqttJs,
  endClient,
  request,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';
import { generateCsr } from './csr.js';

let emulator: TestEmulator;
let client: MqttClient;
let hook: Server;
const hookCalls: Record<string, unknown>[] = [];

const thingOnly = (extra: Record<string, unknown> = {}) => ({
  Parameters: { SerialNumber: { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } },
    cert: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
  },
  ...extra,
});

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const input = JSON.parse(body) as { parameters: Record<string, string> };
      hookCalls.push(input);
      const serial = input.parameters.SerialNumber ?? '';
      if (serial.startsWith('SLOW'))
        return void setTimeout(() => res.end('{"allowProvisioning":true}'), 1500);
      res.setHeader('content-type', 'application/json');
      if (serial.startsWith('DENY')) return void res.end(JSON.stringify({ allowProvisioning: false }));
      if (serial.startsWith('BROKEN')) return void res.writeHead(500).end('{}');
      res.end(
        JSON.stringify({
          allowProvisioning: true,
          parameterOverrides: { SerialNumber: `${serial}-checked` },
        }),
      );
    });
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  const hookPort = (hook.address() as { port: number }).port;
  emulator = await startTestEmulator({
    hookTimeoutMs: 500,
    templates: {
      plain: thingOnly(),
      hooked: thingOnly({ PreProvisioningHook: { TargetArn: `http://127.0.0.1:${hookPort}/hook` } }),
      numbered: {
        Parameters: { SerialNumber: { Type: 'String' }, Batch: { Type: 'Number' } },
        Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } } },
      },
      broken: {
        Parameters: { SerialNumber: { Type: 'String' } },
        Resources: {
          thing: {
            Type: 'AWS::IoT::Thing',
            Properties: {
              ThingName: { 'Fn::Select': ['5', { 'Fn::Split': ['-', { Ref: 'SerialNumber' }] }] },
            },
          },
        },
      },
    },
  });
  client = await connectMqttJs(emulator, await claimCredentials(emulator));
});
afterAll(async () => {
  await endClient(client);
  await emulator.cleanup();
  hook.closeAllConnections();
  hook.close();
});

async function newToken(): Promise<string> {
  const created = await request(client, '$aws/certificates/create/json', {});
  return created.body.certificateOwnershipToken as string;
}

const register = async (template: string, body: unknown) =>
  request(client, `$aws/provisioning-templates/${template}/provision/json`, body);

describe('rejections', () => {
  it('malformed JSON → 400 InvalidPayload, on JSON and CBOR topics', async () => {
    client.publish('$aws/certificates/create-from-csr/json', 'not json');
    const json = await request(client, '$aws/certificates/create-from-csr/json', undefined);
    expect(json).toEqual({
      outcome: 'rejected',
      body: expect.objectContaining({ statusCode: 400, errorCode: 'InvalidPayload' }),
    });
    const raw = await new Promise<Buffer>((resolve) => {
      client.subscribe('$aws/certificates/create/cbor/+', () => {
        client.once('message', (_topic, payload) => resolve(payload));
        client.publish('$aws/certificates/create/cbor', Buffer.from([0xff, 0x00, 0x13]));
      });
    });
    expect(raw.length).toBeGreaterThan(0);
  });

  it('every rejection has exactly statusCode, errorCode, errorMessage', async () => {
    const answer = await register('plain', { certificateOwnershipToken: 'x' });
    expect(Object.keys(answer.body).sort()).toEqual(['errorCode', 'errorMessage', 'statusCode']);
  });

  it('unknown template → 404 ResourceNotFoundException', async () => {
    const answer = await register('no-such-template', {
      certificateOwnershipToken: await newToken(),
      parameters: {},
    });
    expect(answer.body).toMatchObject({ statusCode: 404, errorCode: 'ResourceNotFoundException' });
  });

  it('bad, reused and expired tokens → 400 InvalidCertificateOwnershipToken', async () => {
    expect(
      (await register('plain', { certificateOwnershipToken: 'bogus', parameters: { SerialNumber: 'T-1' } }))
        .body,
    ).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidCertificateOwnershipToken',
    });
    const token = await newToken();
    expect(
      (await register('plain', { certificateOwnershipToken: token, parameters: { SerialNumber: 'T-2' } }))
        .outcome,
    ).toBe('accepted');
    expect(
      (await register('plain', { certificateOwnershipToken: token, parameters: { SerialNumber: 'T-3' } }))
        .body,
    ).toMatchObject({
      errorCode: 'InvalidCertificateOwnershipToken',
    });
  });

  it('a CSR with a bad signature, a weak key or a SHA-1 signature → 400 InvalidCsr', async () => {
    const { csrPem } = await generateCsr('ec');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der.writeUInt8(der.readUInt8(der.length - 5) ^ 0xff, der.length - 5); // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const bad = await request(client, '$aws/certificates/create-from-csr/json', {
      certificateSigningRequest: tampered,
    });
    expect(bad.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidCsr' });
    const weak = await request(client, '$aws/certificates/create-from-csr/json', {
      certificateSigningRequest: (await generateCsr('rsa1024')).csrPem,
    });
    expect(weak.body).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidCsr',
      errorMessage: expect.stringContaining('2048'),
    });
    // AWS IoT signs only CSRs signed with SHA-256/384/512.
    const sha1 = await request(client, '$aws/certificates/create-from-csr/json', {
      certificateSigningRequest: (await generateCsr('ecSha1')).csrPem,
    });
    expect(sha1.body).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidCsr',
      errorMessage: expect.stringContaining('SHA-1'),
    });
    const garbage = await request(client, '$aws/certificates/create-from-csr/json', {
      certificateSigningRequest: 'hello',
    });
    expect(garbage.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidCsr' });
  });

  it('template processing failure → 400 and nothing half-made; the token stays usable', async () => {
    const token = await newToken();
    const before = emulator.registry.things().length;
    const failed = await register('broken', {
      certificateOwnershipToken: token,
      parameters: { SerialNumber: 'A-B' },
    });
    expect(failed.body).toMatchObject({ statusCode: 400, errorCode: 'TemplateProcessingFailure' });
    const badNumber = await register('numbered', {
      certificateOwnershipToken: token,
      parameters: { SerialNumber: 'N-1', Batch: 'x' },
    });
    expect(badNumber.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidParameters' });
    expect(emulator.registry.things()).toHaveLength(before);
    expect(
      (
        await register('plain', {
          certificateOwnershipToken: token,
          parameters: { SerialNumber: 'AFTER-FAIL' },
        })
      ).outcome,
    ).toBe('accepted');
  });
});

describe('rejections of RegisterThing parameters', () => {
  it('a reference that cannot be resolved → 400 InvalidParameters "Cannot resolve reference value"', async () => {
    const answer = await register('plain', { certificateOwnershipToken: await newToken(), parameters: {} });
    expect(answer).toEqual({
      outcome: 'rejected',
      body: {
        statusCode: 400,
        errorCode: 'InvalidParameters',
        errorMessage: expect.stringContaining('Cannot resolve reference value: SerialNumber') as string,
      },
    });
  });

  it.each([
    ['a number', 12345],
    ['a boolean', true],
    ['an object', { nested: 'x' }],
    ['null', null],
  ])('a parameter value that is %s → 400, nothing made, the token stays usable', async (_case, value) => {
    const token = await newToken();
    const before = emulator.registry.things().length;
    const answer = await register('plain', {
      certificateOwnershipToken: token,
      parameters: { SerialNumber: value },
    });
    expect(answer.body).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidPayload',
      errorMessage: 'parameters.SerialNumber must be a string',
    });
    expect(emulator.registry.things()).toHaveLength(before);
    const retried = await register('plain', {
      certificateOwnershipToken: token,
      parameters: { SerialNumber: `STRING-${String(before)}` },
    });
    expect(retried.outcome).toBe('accepted');
  });
});

describe('pre-provisioning hook', () => {
  it('allow: the hook sees AWS input and its parameterOverrides are applied', async () => {
    const answer = await register('hooked', {
      certificateOwnershipToken: await newToken(),
      parameters: { SerialNumber: 'OK-1' },
    });
    expect(answer).toEqual({
      outcome: 'accepted',
      body: { thingName: 'OK-1-checked', deviceConfiguration: {} },
    });
    expect(hookCalls.at(-1)).toMatchObject({
      claimCertificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
      certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
      certificatePem: expect.stringContaining('BEGIN CERTIFICATE'),
      templateArn: expect.stringContaining(':provisioningtemplate/hooked'),
      clientId: client.options.clientId,
      parameters: { SerialNumber: 'OK-1' },
    });
  });

  it.each([
    ['deny', 'DENY-1'],
    ['error', 'BROKEN-1'],
    ['timeout', 'SLOW-1'],
  ])('%s → 403 AccessDeniedException', async (_case, serial) => {
    const answer = await register('hooked', {
      certificateOwnershipToken: await newToken(),
      parameters: { SerialNumber: serial },
    });
    expect(answer.body).toMatchObject({ statusCode: 403, errorCode: 'AccessDeniedException' });
    expect(emulator.registry.things().some((t) => t.thingName.startsWith(serial))).toBe(false);
  });
});
