import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { IoTClient, ListCertificatesCommand, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEmulator, type RunningEmulator } from '@claimline/emulator';
import type { ReconcileAws } from './index.js';

/**
 * Tests only. An emulated AWS account written directly into the emulator's registry file before it starts (no
 * provisioning run), and the real @aws-sdk/client-iot reading it through the emulator's control plane.
 */
export type SeedThing = { thingName: string; certificateIds: string[] };
export type SeedCertificate = { certificateId: string; status: 'ACTIVE' | 'INACTIVE' | 'REVOKED' };

export const newCertificateId = () => randomBytes(32).toString('hex');

export async function startSeededEmulator(
  things: SeedThing[],
  certificates: SeedCertificate[],
): Promise<{ emulator: RunningEmulator; aws: ReconcileAws & { calls: number }; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-reconcile-'));
  const stateDir = path.join(dir, 'emulator');
  fs.mkdirSync(stateDir, { recursive: true });
  const createdAt = new Date().toISOString();
  fs.writeFileSync(
    path.join(stateDir, 'registry.json'),
    JSON.stringify({
      things: things.map((t) => ({ ...t, attributes: {}, thingGroups: [], version: 1, createdAt })),
      certificates: certificates.map((c) => ({
        ...c,
        certificatePem: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
        policyNames: [],
        createdAt,
      })),
      policies: [],
      tokens: [],
      counters: [],
    }),
  );
  const emulator = await startEmulator({ stateDir, port: 0, adminPort: 0, controlPort: 0, quotas: 'off' });
  const file = JSON.parse(await readFile(emulator.files.controlPlanePath, 'utf8')) as {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  const agent = new Agent({ ca: await readFile(emulator.files.caPath), keepAlive: true });
  const client = new IoTClient({
    endpoint: file.endpoint,
    region: file.region,
    credentials: { accessKeyId: file.accessKeyId, secretAccessKey: file.secretAccessKey },
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  const aws = {
    calls: 0,
    async listCertificates(page: { marker?: string; pageSize?: number } = {}) {
      aws.calls += 1;
      const out = await client.send(new ListCertificatesCommand(page));
      return {
        items: (out.certificates ?? []).map((c) => ({ certificateId: c.certificateId!, status: c.status! })),
        ...(out.nextMarker ? { next: out.nextMarker } : {}),
      };
    },
    async listThingPrincipals(thingName: string) {
      const principals: string[] = [];
      let nextToken: string | undefined;
      do {
        aws.calls += 1;
        try {
          const out = await client.send(
            new ListThingPrincipalsCommand({ thingName, maxResults: 250, nextToken }),
          );
          principals.push(...(out.principals ?? []));
          nextToken = out.nextToken;
        } catch (error) {
          if ((error as Error).name === 'ResourceNotFoundException') return undefined;
          throw error;
        }
      } while (nextToken);
      return principals;
    },
  };
  return {
    emulator,
    aws,
    async close() {
      client.destroy();
      agent.destroy();
      await emulator.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
