import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './files.js';
import { StationError } from './station-error.js';

/**
 * The station directory (mode 0700):
 *   station.json       server URL, STATION API key, station id, key fingerprint (0600)
 *   station-key.pem    the station's seal private key, PKCS#8, optionally passphrase-encrypted (0600)
 *   station-signing-key.pem  its request-signing key (Ed25519 or P-256), same protection (0600)
 *   offline/<serial>.json   prefetched credentials, exactly as received (private key still sealed)
 *   journal.jsonl      confirmations made offline (append-only, fsync'd); journal.synced = lines uploaded
 */
export const settingsSchema = z.object({
  server: z.url(),
  apiKey: z.string().min(1),
  stationId: z.uuid(),
  stationName: z.string(),
  fingerprint: z.string(),
  algorithm: z.string(),
  passphraseEnv: z.string().optional(),
  signingFingerprint: z.string(),
  signingAlgorithm: z.enum(['ed25519', 'p256']),
  /** PENDING after a re-init until an ADMIN approves the new keys. */
  keyStatus: z.enum(['ACTIVE', 'PENDING']),
  /** Pinned at init: the server's TLS CA (PEM; absent = the system's CAs) and its bundle-signing key. */
  serverCaPem: z.string().optional(),
  serverBundleKey: z.string(),
  /** Pinned at init: the only endpoint and endpoint trust root this station burns into units. */
  deviceEndpoint: z.string(),
  deviceCaPem: z.string(),
});
export type Settings = z.infer<typeof settingsSchema>;

export type StationPaths = {
  dir: string;
  settings: string;
  privateKey: string;
  publicKey: string;
  signingKey: string;
  offline: string;
  journal: string;
  synced: string;
  work: string;
};

export function resolveStationDir(dir: string): string {
  return path.resolve(dir.startsWith('~') ? path.join(os.homedir(), dir.slice(1)) : dir);
}

export function stationPaths(dirOption: string): StationPaths {
  const dir = resolveStationDir(dirOption);
  return {
    dir,
    settings: path.join(dir, 'station.json'),
    privateKey: path.join(dir, 'station-key.pem'),
    publicKey: path.join(dir, 'station-key.pub.pem'),
    signingKey: path.join(dir, 'station-signing-key.pem'),
    offline: path.join(dir, 'offline'),
    journal: path.join(dir, 'journal.jsonl'),
    synced: path.join(dir, 'journal.synced'),
    work: path.join(dir, 'work'),
  };
}

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

export function readSettings(paths: StationPaths): Settings {
  let text: string;
  try {
    text = fs.readFileSync(paths.settings, 'utf8');
  } catch {
    throw new StationError(
      'NOT_INITIALISED',
      `this station is not set up in ${paths.dir}: run "claimline-station init --server URL --key KEY" first`,
    );
  }
  const parsed = settingsSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new StationError(
      'NOT_INITIALISED',
      `${paths.settings} is from an older station (no signing key or pins): run "claimline-station init --force" and have an admin approve the new keys`,
    );
  return parsed.data;
}

export function writeSettings(paths: StationPaths, settings: Settings): void {
  writeFileAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
}
