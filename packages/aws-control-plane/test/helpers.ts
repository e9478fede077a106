import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ClaimConnectionPool } from '@claimline/claim-client';
import { controlPlaneSchema, loadConfig } from '@claimline/config';
import type { RunningEmulator } from '@claimline/emulator';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createLogger } from '@claimline/logger';

// Loaded by path (as packages/claim-client's tests do): the Jest mapping resolves packages only.
const EMULATOR_SOURCE = '../../../apps/emulator/src/index.ts';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startEmulator } = require(EMULATOR_SOURCE) as typeof import('@claimline/emulator');

export const TEMPLATE = 'claimline-default';

const template = {
  Parameters: { SerialNumber: { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'claimline-device' } },
  },
};

export type Fixture = {
  emulator: RunningEmulator;
  pool: ClaimConnectionPool;
  redis: Redis;
  prefix: string;
  stateDir: string;
  close(): Promise<void>;
};

export async function startFixture(): Promise<Fixture> {
  const stateDir = await mkdtemp(join(tmpdir(), 'claimline-control-plane-'));
  const emulator = await startEmulator({
    stateDir,
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm: 'ec-p256',
    quotas: 'off',
    templates: { [TEMPLATE]: template },
  });
  const logger = createLogger({ name: 'control-plane-test', level: 'silent' });
  const pool = new ClaimConnectionPool(
    {
      host: emulator.host,
      port: emulator.port,
      caPath: emulator.files.caPath,
      claimCertPath: emulator.files.claimCertPath,
      claimKeyPath: emulator.files.claimKeyPath,
      size: 1,
      clientIdPrefix: uniqueQueuePrefix('cp'),
      operationTimeoutMs: 5000,
    },
    logger,
  ).start();
  await pool.ready();
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  return {
    emulator,
    pool,
    redis,
    prefix: uniqueQueuePrefix('control-plane'),
    stateDir,
    async close() {
      await pool.close();
      redis.disconnect();
      await emulator.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A unit provisioned by claim: its certificate is ACTIVE, attached to thing `serial` and the policy. */
export async function provisionUnit(f: Fixture, serial: string): Promise<{ certificateId: string }> {
  return f.pool.withLease(async (lease) => {
    const created = await lease.createKeysAndCertificate({ format: 'json' });
    await lease.registerThing(
      TEMPLATE,
      created.certificateOwnershipToken,
      { SerialNumber: serial },
      {
        format: 'json',
      },
    );
    return { certificateId: created.certificateId };
  });
}

/** The control-plane configuration as a process would parse it from this environment. */
export const controlPlaneConfig = (env: Record<string, string>) =>
  loadConfig('control-plane-test', controlPlaneSchema, env);
