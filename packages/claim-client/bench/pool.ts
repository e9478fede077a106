// Claim flows per second (CreateKeysAndCertificate + RegisterThing, JSON, EC keys, quotas off) through
// ClaimConnectionPool vs a bare loop of IotIdentityClientv2 on the same number of SDK connections.
// Usage: pnpm --filter @claimline/claim-client bench [connections=8] [seconds=5] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, mqtt5 } from 'aws-crt';
import { iotidentity } from 'aws-iot-device-sdk-v2';
import { startEmulator, type RunningEmulator } from '@claimline/emulator';
import { createLogger } from '@claimline/logger';
import { ClaimConnectionPool } from '../src/index.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const JSON_OUTPUT = process.argv.includes('--json');
const K = Number(positional[0] ?? 8);
const SECONDS = Number(positional[1] ?? 5);
const TEMPLATE = 'claimline-default';
const template = {
  Parameters: { SerialNumber: { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
  },
  DeviceConfiguration: { serial: { Ref: 'SerialNumber' } },
};

/** Runs `worker(n)` on K lanes until the deadline; returns completed flows per second. */
async function measure(
  label: string,
  lanes: number,
  flow: (lane: number, serial: string) => Promise<void>,
): Promise<number> {
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; Date.now() < deadline; i += 1) {
        await flow(lane, `${label}-${lane}-${i}`);
        done += 1;
      }
    }),
  );
  const rate = done / ((Date.now() - started) / 1000);
  console.log(`${label.padEnd(6)} ${String(done).padStart(6)} flows  ${rate.toFixed(1).padStart(8)} flows/s`);
  return rate;
}

async function bareSdk(emulator: RunningEmulator): Promise<number> {
  const connections = await Promise.all(
    Array.from({ length: K }, async (_, n) => {
      const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
        emulator.host,
        emulator.files.claimCertPath,
        emulator.files.claimKeyPath,
      );
      builder.withPort(emulator.port);
      builder.withCertificateAuthorityFromPath(undefined, emulator.files.caPath);
      builder.withConnectProperties({
        clientId: `bench-bare-${process.pid}-${n}`,
        keepAliveIntervalSeconds: 60,
      });
      const client = new mqtt5.Mqtt5Client(builder.build());
      const up = new Promise((resolve) => client.once('connectionSuccess', resolve));
      client.start();
      await up;
      const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, {
        maxRequestResponseSubscriptions: 6,
        maxStreamingSubscriptions: 1,
        operationTimeoutInSeconds: 10,
      });
      return { client, identity };
    }),
  );
  try {
    return await measure('bare', K, async (lane, serial) => {
      const { identity } = connections[lane]!;
      const created = await identity.createKeysAndCertificate({});
      await identity.registerThing({
        templateName: TEMPLATE,
        certificateOwnershipToken: created.certificateOwnershipToken!,
        parameters: { SerialNumber: serial },
      });
    });
  } finally {
    for (const { client, identity } of connections) {
      identity.close();
      const stopped = new Promise((resolve) => client.once('stopped', resolve));
      client.stop();
      await stopped;
      client.close();
    }
  }
}

async function throughPool(emulator: RunningEmulator): Promise<number> {
  const pool = new ClaimConnectionPool(
    {
      host: emulator.host,
      port: emulator.port,
      caPath: emulator.files.caPath,
      claimCertPath: emulator.files.claimCertPath,
      claimKeyPath: emulator.files.claimKeyPath,
      size: K,
      clientIdPrefix: 'bench-pool',
      operationTimeoutMs: 10_000,
    },
    createLogger({ name: 'bench', level: 'warn' }),
  ).start();
  await pool.ready();
  try {
    // K callers, each acquiring and releasing per flow, as the worker's jobs will.
    return await measure('pool', K, (_lane, serial) =>
      pool.withLease(async (lease) => {
        const created = await lease.createKeysAndCertificate();
        await lease.registerThing(TEMPLATE, created.certificateOwnershipToken, { SerialNumber: serial });
      }),
    );
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'claimline-bench-'));
  const emulator = await startEmulator({
    stateDir,
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm: 'ec-p256',
    quotas: 'off',
    keyPoolSize: 64,
    templates: { [TEMPLATE]: template },
  });
  try {
    console.log(
      `${K} connections, ${SECONDS} s per run, CreateKeysAndCertificate + RegisterThing (JSON), EC P-256, quotas off`,
    );
    const bare = await bareSdk(emulator);
    const pooled = await throughPool(emulator);
    console.log(`pool / bare SDK = ${(pooled / bare).toFixed(2)}`);
    if (JSON_OUTPUT) {
      const result = {
        name: `claim flows/s through the pool (${K} conns)`,
        value: Number(pooled.toFixed(1)),
        unit: 'flows/s',
        baseline: { name: `bare IotIdentityClientv2 loop (${K} conns)`, value: Number(bare.toFixed(1)) },
        ratio: Number((pooled / bare).toFixed(2)),
        target: null,
        pass: null,
      };
      console.log(JSON.stringify({ bench: '@claimline/claim-client', results: [result] }));
    }
  } finally {
    await emulator.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  // The native MQTT5 clients keep the event loop alive for a while after a clean stop()+close().
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
