import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { loadStationPrivateKey } from '@claimline/station-crypto';
import { createApiClient, type ApiClient } from './api-client.js';
import { readSettings, stationPaths, type Settings, type StationPaths } from './station-dir.js';
import { StationError } from './station-error.js';

export type CommonOptions = { dir: string; httpTimeoutMs: number };
export type StationContext = { paths: StationPaths; settings: Settings; client: ApiClient };

export function openStation(options: CommonOptions): StationContext {
  const paths = stationPaths(options.dir);
  const settings = readSettings(paths);
  return {
    paths,
    settings,
    client: createApiClient(settings.server, settings.apiKey, options.httpTimeoutMs),
  };
}

export function loadPrivateKey(ctx: StationContext): KeyObject {
  const pem = fs.readFileSync(ctx.paths.privateKey, 'utf8');
  const variable = ctx.settings.passphraseEnv;
  const passphrase = variable ? process.env[variable] : undefined;
  if (variable && !passphrase)
    throw new StationError('BAD_KEY', `the station key is passphrase-protected: set ${variable}`);
  try {
    return loadStationPrivateKey(pem, passphrase);
  } catch (error) {
    throw new StationError('BAD_KEY', (error as Error).message);
  }
}
