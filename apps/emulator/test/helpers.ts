import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { Writable } from 'node:stream';
import { createLogger } from '@claimline/logger';
import { waitFor } from '@claimline/test-kit';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/index.js';

export const DEFAULT_TEMPLATE = {
  Parameters: { SerialNumber: { Type: 'String' }, Model: { Type: 'String', Default: 'cl-1' } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['cl-', { Ref: 'SerialNumber' }]] },
        AttributePayload: { serial: { Ref: 'SerialNumber' }, model: { Ref: 'Model' } },
        ThingGroups: ['line-1'],
      },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'claimline-device' } },
  },
  DeviceConfiguration: { serial: { Ref: 'SerialNumber' }, model: { Ref: 'Model' } },
};

export type TestEmulator = RunningEmulator & {
  stateDir: string;
  logs: string[];
  /** The admin API's bearer token (every test emulator has one, as a deployment beyond loopback must). */
  adminToken: string;
  cleanup(): Promise<void>;
};

export async function startTestEmulator(
  options: Partial<EmulatorOptions> = {},
  stateDir?: string,
): Promise<TestEmulator> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'claimline-emulator-')));
  // Everything the emulator logs, at trace level, so tests can check that no secret reaches a log.
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const adminToken = randomBytes(24).toString('base64url');
  const emulator = await startEmulator({
    logger: createLogger({ name: 'emulator', level: 'trace', destination }),
    adminToken,
    stateDir: dir,
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm: 'ec-p256',
    quotas: 'off',
    templates: { 'claimline-default': DEFAULT_TEMPLATE },
    ...options,
  });
  return {
    ...emulator,
    stateDir: dir,
    logs,
    adminToken: options.adminToken ?? adminToken,
    cleanup: async () => {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let clientCounter = 0;
export const uniqueClientId = (prefix = 'test') =>
  `${prefix}-${process.pid}-${++clientCounter}-${Date.now() % 100000}`;

export type Credentials = { cert: string | Buffer; key: string | Buffer };

export async function claimCredentials(emulator: RunningEmulator): Promise<Credentials> {
  return {
    cert: await readFile(emulator.files.claimCertPath),
    key: await readFile(emulator.files.claimKeyPath),
  };
}

/** An MQTT.js client over mutual TLS; resolves once CONNACK arrived (or rejects with the refusal). */
export async function connectMqttJs(
  emulator: RunningEmulator,
  credentials: Credentials,
  options: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  return (await connectWithConnack(emulator, credentials, options)).client;
}

export async function connectWithConnack(
  emulator: RunningEmulator,
  credentials: Credentials,
  options: Partial<IClientOptions> = {},
): Promise<{ client: MqttClient; connack: IConnackPacket }> {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: emulator.host,
    port: emulator.port,
    ca: await readFile(emulator.files.caPath),
    cert: credentials.cert,
    key: credentials.key,
    clientId: uniqueClientId(),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    protocolVersion: 4,
    ...options,
  });
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', (packet) => resolve(packet));
    client.once('error', (error) => reject(error));
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  return { client, connack };
}

/** SUBSCRIBE and return the granted QoS or failure code per filter (MQTT.js rejects on any failure code). */
export async function subscribeGranted(client: MqttClient, filters: string | string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted;
    if (!granted) throw error;
    return granted.map((grant) => (typeof grant === 'number' ? grant : grant.qos));
  }
}

export async function endClient(client: MqttClient): Promise<void> {
  await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
}

export type Format = 'json' | 'cbor';
export const encode = (format: Format, body: unknown): Buffer =>
  format === 'json' ? Buffer.from(JSON.stringify(body)) : Buffer.from(cborEncode(body));
export const decode = (format: Format, payload: Buffer): Record<string, unknown> =>
  (format === 'json' ? JSON.parse(payload.toString()) : cborDecode(payload)) as Record<string, unknown>;

export type Outcome = { outcome: 'accepted' | 'rejected'; body: Record<string, unknown> };

/** Subscribes to `<topic>/+`, publishes the request, waits for the first answer. */
export async function request(
  client: MqttClient,
  topic: string,
  body: unknown,
  format: Format = 'json',
  timeoutMs = 5000,
): Promise<Outcome> {
  await client.subscribeAsync(`${topic}/+`, { qos: 1 });
  return new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      reject(new Error(`no answer on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== `${topic}/accepted` && received !== `${topic}/rejected`) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve({
        outcome: received.endsWith('accepted') ? 'accepted' : 'rejected',
        body: decode(format, payload),
      });
    };
    client.on('message', onMessage);
    client.publish(topic, body === undefined ? Buffer.alloc(0) : encode(format, body), { qos: 1 });
  });
}

/**
 * Whether the emulator delivered its answer to `client`'s latest request of `operation`, read from
 * the emulator's own log line for that answer (a positive signal: once it is logged the answer was
 * either written to the connection or not at all).
 */
export async function answerDelivered(
  emulator: TestEmulator,
  client: MqttClient,
  operation: string,
): Promise<boolean> {
  const clientId = client.options.clientId;
  const answer = await waitFor(
    `the emulator's answer to ${operation} from ${clientId}`,
    () =>
      emulator.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .findLast(
          (entry) =>
            entry.msg === 'provisioning request' &&
            entry.clientId === clientId &&
            entry.operation === operation,
        ),
    { timeoutMs: 5_000, intervalMs: 20 },
  );
  return answer.delivered === true;
}

/** A call to the admin API with its bearer token; a POST without a body sends `{}`. */
export async function adminJson(
  emulator: TestEmulator,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${emulator.adminUrl}${path}`, {
    ...init,
    ...(init?.method === 'POST' && init.body === undefined ? { body: '{}' } : {}),
    headers: {
      authorization: `Bearer ${emulator.adminToken}`,
      'content-type': 'application/json',
      ...(init?.headers ?? {}),
    },
  });
  return { status: response.status, body: await response.json() };
}

/** CreateKeysAndCertificate then RegisterThing with `templateName`; returns both answers. */
export async function provision(
  client: MqttClient,
  templateName: string,
  parameters: Record<string, string>,
  format: Format = 'json',
) {
  const created = await request(client, `$aws/certificates/create/${format}`, {}, format);
  if (created.outcome !== 'accepted')
    throw new Error(`CreateKeysAndCertificate rejected: ${JSON.stringify(created.body)}`);
  const registered = await request(
    client,
    `$aws/provisioning-templates/${templateName}/provision/${format}`,
    { certificateOwnershipToken: created.body.certificateOwnershipToken, parameters },
    format,
  );
  return { created: created.body as Record<string, string>, registered };
}

/** Resolves with the reason a connection attempt failed (CONNACK refusal or close). */
export async function connectFailure(
  emulator: RunningEmulator,
  credentials: Credentials,
  options: Partial<IClientOptions> = {},
): Promise<Error> {
  return connectMqttJs(emulator, credentials, options).then(
    async (client) => {
      await endClient(client);
      throw new Error('connection was accepted');
    },
    (error: Error) => error,
  );
}

/** Resolves when the client's connection closes. */
export const closed = (client: MqttClient) =>
  new Promise<void>((resolve) => client.once('close', () => resolve()));
