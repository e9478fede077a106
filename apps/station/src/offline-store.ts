import fs from 'node:fs';
import path from 'node:path';
import { isLegacySealed } from '@claimline/station-crypto';
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

/**
 * Serials whose stored payload is in the pre-HPKE format (ECDH + HKDF + AES-GCM, v1). Such entries were
 * prefetched by a station of an earlier version, before bundles were signed: nothing proves where they
 * came from, so they are not opened (not even to migrate them). `run` names them at start; scanning
 * one fails verification; prefetching the batch again replaces them.
 */
export function preHpkeEntries(paths: StationPaths): string[] {
  if (!fs.existsSync(paths.offline)) return [];
  const serials: string[] = [];
  for (const name of fs.readdirSync(paths.offline).filter((f) => f.endsWith('.json'))) {
    try {
      const creds = JSON.parse(fs.readFileSync(path.join(paths.offline, name), 'utf8')) as Credentials;
      if (isLegacySealed(creds.sealedPrivateKey as unknown)) serials.push(creds.serial);
    } catch {
      continue; // not ours to judge here: loadOffline reports it when the unit is scanned
    }
  }
  return serials;
}
