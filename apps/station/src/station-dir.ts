import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './files.js';
import { StationError } from './station-error.js';

/**
 * The station directory (mode 0700):
 *   station.json       server URL, STATION API key, station id, key fingerprint (0600)
 *   station-key.pem    the station's private key, PKCS#8, optionally passphrase-encrypted (0600)
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
});
export type Settings = z.infer<typeof settingsSchema>;

export type StationPaths = {
  dir: string;
  settings: string;
  privateKey: string;
  publicKey: string;
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
  return settingsSchema.parse(JSON.parse(text));
}

export function writeSettings(paths: StationPaths, settings: Settings): void {
  writeFileAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
}
