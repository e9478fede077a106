import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isLegacySealed, openLegacySealed, sealToPublicKey } from '@claimline/station-crypto';
import type { Credentials } from './api-client.js';
import { wipeFile, writeFileAtomic } from './files.js';
import type { StationPaths } from './station-dir.js';
import { StationError } from './station-error.js';

/** Prefetched credentials, one file per unit, exactly as the API sent them: the private key stays sealed. */
const fileOf = (paths: StationPaths, serial: string) =>
  path.join(paths.offline, `${Buffer.from(serial).toString('base64url')}.json`);

export function storeOffline(paths: StationPaths, creds: Credentials): void {
  fs.mkdirSync(paths.offline, { recursive: true, mode: 0o700 });
  writeFileAtomic(fileOf(paths, creds.serial), JSON.stringify(creds), 0o600);
}

export function loadOffline(paths: StationPaths, serial: string): Credentials {
  try {
    return JSON.parse(fs.readFileSync(fileOf(paths, serial), 'utf8')) as Credentials;
  } catch {
    throw new StationError(
      'NOT_IN_OFFLINE_STORE',
      `unit ${serial} is not in the offline store: prefetch its batch while online, or put the unit aside`,
    );
  }
}

/** After a successful burn the local sealed copy goes too. */
export function removeOffline(paths: StationPaths, serial: string): void {
  wipeFile(fileOf(paths, serial));
}

export function countOffline(paths: StationPaths): number {
  return fs.existsSync(paths.offline)
    ? fs.readdirSync(paths.offline).filter((f) => f.endsWith('.json')).length
    : 0;
}

export type MigrationReport = { migrated: number; refused: string[] };

/**
 * Offline stores written before HPKE hold v1 payloads (ECDH + HKDF + AES-GCM). At the start of `run`, each
 * v1 payload is opened once with the legacy reader and sealed again with HPKE to this station's own public
 * key under the same binding; the file is replaced atomically, so the old format is read exactly once.
 * A payload that does not open (tampered, or sealed to an earlier key) is left as it is and named in
 * `refused`: scanning that unit fails verification, as any bad payload does.
 */
export async function migrateOfflineStore(
  paths: StationPaths,
  stationKey: KeyObject,
  stationId: string,
): Promise<MigrationReport> {
  const report: MigrationReport = { migrated: 0, refused: [] };
  if (!fs.existsSync(paths.offline)) return report;
  const publicKey = createPublicKey(stationKey);
  for (const name of fs.readdirSync(paths.offline).filter((f) => f.endsWith('.json'))) {
    const file = path.join(paths.offline, name);
    let creds: Credentials;
    try {
      creds = JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
    } catch {
      continue; // not ours to judge here: loadOffline reports it when the unit is scanned
    }
    const sealed: unknown = creds.sealedPrivateKey;
    if (!isLegacySealed(sealed)) continue;
    const binding = { serial: creds.serial, certificateId: creds.certificateId, stationId };
    let plaintext: Buffer;
    try {
      plaintext = openLegacySealed(sealed, stationKey, binding);
    } catch {
      report.refused.push(creds.serial);
      continue;
    }
    try {
      const resealed = await sealToPublicKey(plaintext, publicKey, binding);
      writeFileAtomic(file, JSON.stringify({ ...creds, sealedPrivateKey: resealed }), 0o600);
      report.migrated++;
    } finally {
      plaintext.fill(0);
    }
  }
  return report;
}
