import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@claimline/db';
import { generateStationKeyPair } from '@claimline/station-crypto';
import { createVault, ensureLocalKeyFile } from '@claimline/vault';

/**
 * Station tests without the emulator: a vault key file, a CA file (openssl), and units seeded as the
 * worker leaves them (REGISTERED, an ACTIVE certificate, the private key sealed by the vault). The
 * full loop through the emulator and a real worker is in apps/station/test.
 */
export type StationFixtures = { dir: string; env: Record<string, string> };
export type Seeded = { batchId: string; units: { serial: string; certificateId: string; keyPem: string }[] };

export function createStationFixtures(): StationFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-api-station-'));
  const keyFile = path.join(dir, 'vault-keys.json');
  ensureLocalKeyFile(keyFile);
  const caPath = path.join(dir, 'ca.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=test CA',
      '-days',
      '2',
      '-keyout',
      path.join(dir, 'ca.key'),
      '-out',
      caPath,
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    env: {
      VAULT_LOCAL_KEYS_FILE: keyFile,
      API_DEVICE_CA_PATH: caPath,
      API_DEVICE_ENDPOINT: 'iot.example.test:8883',
      // These tests use batches assigned to no station (least-privilege.test.ts covers the default: false).
      API_STATIONS_SERVE_ANY_BATCH: 'true',
    },
  };
}

/** Units as the worker leaves them: REGISTERED with an ACTIVE certificate and the key sealed by the vault (or QUEUED). */
export async function seedUnits(
  prisma: PrismaClient,
  fixtures: StationFixtures,
  prefix: string,
  n: number,
  state: 'REGISTERED' | 'QUEUED' = 'REGISTERED',
): Promise<Seeded> {
  const vault = createVault({
    VAULT_PROVIDER: 'local',
    VAULT_LOCAL_KEYS_FILE: fixtures.env.VAULT_LOCAL_KEYS_FILE,
  });
  const batch = await prisma.batch.create({
    data: { externalRef: `WO-${prefix}`, templateName: 'claimline-default' },
  });
  const units: Seeded['units'] = [];
  for (let i = 0; i < n; i++) {
    const serial = `${prefix}${String(i).padStart(4, '0')}`;
    const keyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'sec1', format: 'pem' })
      .toString();
    const certificateId = createHash('sha256').update(serial).digest('hex');
    const sealed = await vault.seal({
      plaintext: Buffer.from(keyPem),
      context: { serial, certificateId, purpose: 'private-key' },
    });
    const registered = state === 'REGISTERED';
    await prisma.device.create({
      data: {
        serial,
        batchId: batch.id,
        state,
        thingName: registered ? `unit-${serial}` : null,
        ...(registered ? { deviceConfiguration: { line: 'L7' } } : {}),
        ...(registered
          ? {
              certificates: {
                create: {
                  certificateId,
                  certificatePem:
                    '-----BEGIN CERTIFICATE-----\nnot parsed by the API\n-----END CERTIFICATE-----\n',
                  status: 'ACTIVE',
                  privateKeyCiphertext: new Uint8Array(sealed.ciphertext),
                  privateKeyWrappedKey: new Uint8Array(sealed.wrappedKey),
                  privateKeyKekId: sealed.kekId,
                  privateKeyAlgorithm: sealed.algorithm,
                },
              },
            }
          : {}),
      },
    });
    units.push({ serial, certificateId, keyPem });
  }
  return { batchId: batch.id, units };
}

export function stationKeyPair(algorithm: 'x25519' | 'p256' = 'x25519'): {
  privateKey: KeyObject;
  publicPem: string;
} {
  const pair = generateStationKeyPair(algorithm);
  return {
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
