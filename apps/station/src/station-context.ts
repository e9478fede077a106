import fs from 'node:fs';
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createRequestSigner } from '@claimline/station-contract';
import { loadStationPrivateKey } from '@claimline/station-crypto';
import { createApiClient, type ApiClient } from './api-client.js';
import { readSettings, stationPaths, type Settings, type StationPaths } from './station-dir.js';
import { StationError } from './station-error.js';

export type CommonOptions = { dir: string; httpTimeoutMs: number; insecureHttp?: boolean };
export type StationContext = {
  paths: StationPaths;
  settings: Settings;
  client: ApiClient;
  /** The server's bundle-signing key pinned at init. */
  bundleKey: KeyObject;
};

function passphraseOf(settings: Settings): string | undefined {
  const variable = settings.passphraseEnv;
  const passphrase = variable ? process.env[variable] : undefined;
  if (variable && !passphrase)
    throw new StationError('BAD_KEY', `the station keys are passphrase-protected: set ${variable}`);
  return passphrase;
}

/** The request-signing key: every request to the API is signed with it (RFC 9421). */
export function loadSigningKey(paths: StationPaths, settings: Settings): KeyObject {
  try {
    const pem = fs.readFileSync(paths.signingKey, 'utf8');
    const passphrase = passphraseOf(settings);
    return createPrivateKey(passphrase ? { key: pem, passphrase } : pem);
  } catch (error) {
    if (error instanceof StationError) throw error;
    throw new StationError('BAD_KEY', `the station signing key cannot be read: ${(error as Error).message}`);
  }
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function openStation(options: CommonOptions): StationContext {
  const paths = stationPaths(options.dir);
  const settings = readSettings(paths);
  const bundleKey = createPublicKey(settings.serverBundleKey);
  const signer = createRequestSigner(loadSigningKey(paths, settings), newNonce);
  return {
    paths,
    settings,
    bundleKey,
    client: createApiClient(settings.server, settings.apiKey, options.httpTimeoutMs, {
      signer,
      bundleKey,
      ...(settings.serverCaPem ? { serverCaPem: settings.serverCaPem } : {}),
      ...(options.insecureHttp ? { insecureHttp: true } : {}),
    }),
  };
}

export function loadPrivateKey(ctx: StationContext): KeyObject {
  const pem = fs.readFileSync(ctx.paths.privateKey, 'utf8');
  const passphrase = passphraseOf(ctx.settings);
  try {
    return loadStationPrivateKey(pem, passphrase);
  } catch (error) {
    throw new StationError('BAD_KEY', (error as Error).message);
  }
}
