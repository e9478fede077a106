import { IN_FLIGHT } from '@claimline/device-ledger';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '@claimline/emulator';
import type { PrismaClient } from '@claimline/db';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createRedisConnection, enqueueProvisioning, QUEUES } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { ensureLocalKeyFile } from '@claimline/vault';
import { waitFor as waitUntil } from '@claimline/test-kit';

/**
 * Real parts for the worker tests: the emulator over TLS (in this process), a cloned database, a
 * Redis prefix of their own, and worker *processes* started from the sources with tsx, so that
 * they can be killed like on a production line.
 */

export const TEST_TEMPLATE = 'claimline-test';

export const testTemplate = {
  Parameters: {
    SerialNumber: { Type: 'String' },
    Line: { Type: 'String', Default: 'L1' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['unit-', { Ref: 'SerialNumber' }]] },
        AttributePayload: { serial: { Ref: 'SerialNumber' }, line: { Ref: 'Line' } },
        OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
      },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'claimline-device' } },
  },
  DeviceConfiguration: { line: { Ref: 'Line' }, fallbackUrl: 'https://example.invalid/fw' },
};

const repoRoot = path.resolve(__dirname, '../../..');
// Node itself with tsx's loader (not the tsx CLI, which wraps a second process): signals reach the worker.
const tsxLoader = require.resolve('tsx/cjs', { paths: [repoRoot] });

export type Harness = {
  emulator: RunningEmulator;
  db: TestDatabase;
  prisma: PrismaClient;
  prefix: string;
  queue: Queue;
  dir: string;
  env: Record<string, string>;
  spawnWorker(extraEnv?: Record<string, string>): WorkerChild;
  close(): Promise<void>;
};

export type WorkerChild = {
  process: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export async function startHarness(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-worker-'));
  const emulator = await startEmulator({
    stateDir: path.join(dir, 'emulator'),
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm: 'ec-p256',
    quotas: 'off',
    templates: { [TEST_TEMPLATE]: testTemplate },
    ...options,
  });
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix('worker');
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  const queue = new Queue(QUEUES.provisioning, { connection, prefix });
  const keyFile = path.join(dir, 'vault-keys.json');
  ensureLocalKeyFile(keyFile);
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    VAULT_LOCAL_KEYS_FILE: keyFile,
    AWS_IOT_ENDPOINT: emulator.host,
    AWS_IOT_PORT: String(emulator.port),
    AWS_IOT_CA_PATH: emulator.files.caPath,
    AWS_IOT_CLAIM_CERT_PATH: emulator.files.claimCertPath,
    AWS_IOT_CLAIM_KEY_PATH: emulator.files.claimKeyPath,
    WORKER_TEMPLATES_DIR: emulator.files.templatesDir,
    // The control plane of this test's emulator (a test of the connect probe turns it off).
    CONTROL_PLANE: 'emulator',
    CONTROL_PLANE_CLIENT_FILE: emulator.files.controlPlanePath,
    CLAIM_POOL_SIZE: '4',
    CLAIM_OPERATION_TIMEOUT_MS: '2000',
    // Allows the fault-injection switches a test passes (WORKER_FAULT_*); refused without it.
    CLAIMLINE_TEST_FAULTS: '1',
    WORKER_HTTP_PORT: '0',
    WORKER_QUOTA_CREATE_KEYS_PER_SECOND: '0',
    WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: '0',
    WORKER_QUOTA_REGISTER_THING_PER_SECOND: '0',
    WORKER_RATE_LIMIT_PER_SECOND: '1000',
    WORKER_LOCK_DURATION_MS: '3000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    WORKER_THROTTLE_PAUSE_MS: '200',
    WORKER_DEVICE_LEASE_MS: '6000',
  };
  const children: WorkerChild[] = [];

  return {
    emulator,
    db,
    prisma: db.prisma,
    prefix,
    queue,
    dir,
    env,
    spawnWorker(extraEnv = {}) {
      const workerMain = path.join(repoRoot, 'apps/worker/src/main.ts');
      const child = spawn(
        process.execPath,
        ['--require', tsxLoader, '--conditions=claimline-source', workerMain],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, ...extraEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const output: string[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const handle: WorkerChild = {
        process: child,
        output,
        exited,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      children.push(handle);
      return handle;
    },
    async close() {
      await Promise.all(children.map((c) => c.stop('SIGKILL')));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
      await emulator.stop();
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type SeedOptions = {
  count: number;
  serialPrefix: string;
  payloadFormat?: 'JSON' | 'CBOR';
  mode?: 'CREATE_KEYS' | 'CSR';
  keyAlgorithm?: 'EC_P256' | 'RSA_2048';
  templateName?: string;
};

/** A batch written as the API would write it, then enqueued through the one enqueue path. */
export async function seedBatch(
  h: Harness,
  options: SeedOptions,
): Promise<{ batchId: string; serials: string[] }> {
  const batch = await h.prisma.batch.create({
    data: {
      externalRef: `WO-${options.serialPrefix}`,
      templateName: options.templateName ?? TEST_TEMPLATE,
      templateParameters: { Line: 'L7' },
      payloadFormat: options.payloadFormat ?? 'JSON',
      mode: options.mode ?? 'CREATE_KEYS',
      keyAlgorithm: options.keyAlgorithm ?? 'EC_P256',
    },
  });
  const serials = Array.from(
    { length: options.count },
    (_, i) => `${options.serialPrefix}${String(i).padStart(4, '0')}`,
  );
  await h.prisma.device.createMany({ data: serials.map((serial) => ({ serial, batchId: batch.id })) });
  const devices = await h.prisma.device.findMany({
    where: { batchId: batch.id },
    select: { id: true, serial: true },
  });
  await enqueueProvisioning(
    h.queue,
    devices.map((d) => ({ deviceId: d.id, serial: d.serial })),
    0,
  );
  return { batchId: batch.id, serials };
}

/** test-kit's `waitFor` in the order these tests read best: probe, time-out, what. */
export function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return waitUntil(what, probe, { timeoutMs, intervalMs: 200 });
}

export async function waitForSettled(h: Harness, batchIds: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    async () =>
      (await h.prisma.device.count({
        where: { batchId: { in: batchIds }, state: { in: [...IN_FLIGHT] } },
      })) === 0,
    timeoutMs,
    'every device to settle',
  );
}
