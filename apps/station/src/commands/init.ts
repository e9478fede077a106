import fs from 'node:fs';
import { generateStationKeyPair, publicKeyFingerprint } from '@claimline/station-crypto';
import { createApiClient } from '../api-client.js';
import { writeFileAtomic } from '../files.js';
import { ensurePrivateDir, stationPaths, writeSettings } from '../station-dir.js';
import { StationError } from '../station-error.js';

export type InitOptions = {
  dir: string;
  server: string;
  key: string;
  passphraseEnv?: string;
  algorithm?: 'x25519' | 'p256';
  force?: boolean;
  httpTimeoutMs: number;
};

/**
 * Creates the station key pair (X25519 unless P-256 is asked for), keeps the private key in the station
 * directory (0600, PKCS#8, encrypted with the passphrase from `passphraseEnv` if given) and registers
 * the public key with the server under the station's API key.
 */
export async function initStation(
  options: InitOptions,
): Promise<{ dir: string; stationName: string; fingerprint: string }> {
  const paths = stationPaths(options.dir);
  if (fs.existsSync(paths.settings) && !options.force) {
    throw new StationError(
      'BAD_KEY',
      `${paths.dir} is already set up; use --force to make a new key (units downloaded under the old key must be downloaded again)`,
    );
  }
  const passphrase = options.passphraseEnv ? process.env[options.passphraseEnv] : undefined;
  if (options.passphraseEnv && !passphrase)
    throw new StationError('BAD_KEY', `--passphrase-env ${options.passphraseEnv}: that variable is not set`);
  ensurePrivateDir(paths.dir);
  const pair = generateStationKeyPair(options.algorithm ?? 'x25519');
  const privatePem = pair.privateKey
    .export(
      passphrase
        ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }
        : { type: 'pkcs8', format: 'pem' },
    )
    .toString();
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const client = createApiClient(options.server, options.key, options.httpTimeoutMs);
  const registered = await client.setKey(publicPem);
  const fingerprint = publicKeyFingerprint(pair.publicKey);
  if (registered.fingerprint !== fingerprint)
    throw new StationError('BAD_KEY', 'the server stored another key than the one sent');
  writeFileAtomic(paths.privateKey, privatePem, 0o600);
  writeFileAtomic(paths.publicKey, publicPem, 0o644);
  writeSettings(paths, {
    server: options.server,
    apiKey: options.key,
    stationId: registered.stationId,
    stationName: registered.name,
    fingerprint,
    algorithm: registered.algorithm,
    ...(options.passphraseEnv ? { passphraseEnv: options.passphraseEnv } : {}),
  });
  return { dir: paths.dir, stationName: registered.name, fingerprint };
}
