import { readFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { IoTClient, type IoTClientConfig } from '@aws-sdk/client-iot';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { MqttClient } from 'mqtt';
import type { RunningEmulator } from '../src/index.js';
import {
  claimCredentials,
  connectMqttJs,
  endClient,
  provision,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';

export type ControlPlaneFile = {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
};

export const readControlPlaneFile = async (emulator: RunningEmulator): Promise<ControlPlaneFile> =>
  JSON.parse(await readFile(emulator.files.controlPlanePath, 'utf8')) as ControlPlaneFile;

/** The real `@aws-sdk/client-iot`, configured only from the client files (endpoint, region, key, CA). */
export async function iotClient(
  emulator: RunningEmulator,
  overrides: Partial<IoTClientConfig> = {},
): Promise<IoTClient> {
  const file = await readControlPlaneFile(emulator);
  const agent = new Agent({ ca: await readFile(emulator.files.caPath), keepAlive: false });
  return new IoTClient({
    endpoint: file.endpoint,
    region: file.region,
    credentials: { accessKeyId: file.accessKeyId, secretAccessKey: file.secretAccessKey },
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
    ...overrides,
  });
}

export type RawResponse = { status: number; headers: Record<string, unknown>; body: Record<string, unknown> };

/** One HTTPS request as given (no SDK), for what the SDK would never send. */
export async function rawRequest(
  emulator: RunningEmulator,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawResponse> {
  const file = await readControlPlaneFile(emulator);
  const url = new URL(path, file.endpoint);
  const ca = await readFile(emulator.files.caPath);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs with `@smithy/signature-v4` as the SDK does, with any service, region, secret or date. */
export async function signedHeaders(
  emulator: RunningEmulator,
  method: string,
  path: string,
  options: { body?: string; service?: string; region?: string; secret?: string; signingDate?: Date } = {},
): Promise<Record<string, string>> {
  const file = await readControlPlaneFile(emulator);
  const url = new URL(path, file.endpoint);
  const body = options.body ?? '';
  const signer = new SignatureV4({
    service: options.service ?? 'iot',
    region: options.region ?? file.region,
    sha256: Sha256,
    credentials: {
      accessKeyId: file.accessKeyId,
      secretAccessKey: options.secret ?? file.secretAccessKey,
    },
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: 'https:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        host: url.host,
        ...(body
          ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
          : {}),
      },
      body: body || undefined,
    }),
    { signingDate: options.signingDate },
  );
  return signed.headers;
}

export const ARN = 'arn:aws:iot:us-east-1:123456789012';

/** A unit provisioned over MQTT (claimline-default: thing cl-<serial>, ACTIVE certificate, policy claimline-device). */
export async function provisionUnit(claim: MqttClient, serial: string) {
  const { created, registered } = await provision(claim, 'claimline-default', { SerialNumber: serial });
  if (registered.outcome !== 'accepted')
    throw new Error(`RegisterThing rejected: ${JSON.stringify(registered.body)}`);
  const certificateId = created.certificateId!;
  return {
    certificateId,
    certificatePem: created.certificatePem!,
    privateKey: created.privateKey!,
    certificateArn: `${ARN}:cert/${certificateId}`,
    thingName: `cl-${serial}`,
  };
}

/** The error an SDK call threw: its name (the error type), HTTP status and message. */
export async function refusal(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name: string; message: string; $metadata?: { httpStatusCode?: number } },
  );
  if (!error) throw new Error('the call succeeded');
  return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

export type ControlPlaneFixture = { emulator: TestEmulator; iot: IoTClient; claim: MqttClient };

/** A test file's emulator, an SDK client of its control plane and a claim connection, closed after the file. */
export function controlPlaneFixture(): ControlPlaneFixture {
  const fixture = {} as ControlPlaneFixture;
  beforeAll(async () => {
    fixture.emulator = await startTestEmulator();
    fixture.iot = await iotClient(fixture.emulator);
    fixture.claim = await connectMqttJs(fixture.emulator, await claimCredentials(fixture.emulator));
  });
  afterAll(async () => {
    fixture.iot.destroy();
    await endClient(fixture.claim);
    await fixture.emulator.cleanup();
  });
  return fixture;
}
