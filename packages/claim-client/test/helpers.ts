import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@claimline/logger';
import type { EmulatorOptions, RunningEmulator } from '@claimline/emulator';
import { ClaimConnectionPool, type ClaimPoolOptions } from '../src/index.js';

const EMULATOR_SOURCE = '../../../apps/emulator/src/index.ts';

export const TEMPLATE_NAME = 'claimline-default';

/** Like the product's default template: the thing is named after the serial, the certificate activated. */
export const DEFAULT_TEMPLATE = {
  Parameters: { SerialNumber: { Type: 'String' } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { Ref: 'SerialNumber' },
        AttributePayload: { serial: { Ref: 'SerialNumber' } },
      },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'claimline-device' } },
  },
  DeviceConfiguration: { serial: { Ref: 'SerialNumber' } },
};

// The root Jest config maps `@claimline/<name>` to packages/<name>/src (apps get the emulator mapped
// only for themselves), so at run time the emulator is loaded by path; its types come from the
// workspace dependency, which keeps apps/emulator out of this package's rootDir.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startEmulator } = require(EMULATOR_SOURCE) as typeof import('@claimline/emulator');

export type TestEmulator = RunningEmulator & { cleanup(): Promise<void> };

export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const stateDir = await mkdtemp(join(tmpdir(), 'claimline-claim-client-'));
  const emulator = await startEmulator({
    stateDir,
    port: 0,
    adminPort: 0,
    controlPort: 0,
    keyAlgorithm: 'ec-p256',
    quotas: 'off',
    templates: { [TEMPLATE_NAME]: DEFAULT_TEMPLATE },
    ...options,
  });
  return {
    ...emulator,
    cleanup: async () => {
      await emulator.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export const quietLogger = (): Logger =>
  createLogger({ name: 'claim-client-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let poolCounter = 0;

/** A started pool on the emulator, with client ids unique to this test file and pool. */
export function poolFor(
  emulator: RunningEmulator,
  options: Partial<ClaimPoolOptions> = {},
): ClaimConnectionPool {
  return new ClaimConnectionPool(
    {
      host: emulator.host,
      port: emulator.port,
      caPath: emulator.files.caPath,
      claimCertPath: emulator.files.claimCertPath,
      claimKeyPath: emulator.files.claimKeyPath,
      size: 2,
      clientIdPrefix: `test${++poolCounter}`,
      operationTimeoutMs: 5000,
      ...options,
    },
    quietLogger(),
  ).start();
}

/** True when the certificate carries the public key of this private key. */
export function certificateMatchesKey(certificatePem: string, privateKeyPem: string): boolean {
  const fromCertificate = new X509Certificate(certificatePem).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const fromKey = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return Buffer.compare(fromCertificate, fromKey) === 0;
}

export async function expectRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
