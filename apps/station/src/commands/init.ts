import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_SIGNING_ALGORITHM,
  createRequestSigner,
  generateSigningKeyPair,
  keyFingerprint,
  type SigningAlgorithm,
} from '@claimline/station-contract';
import { generateStationKeyPair, publicKeyFingerprint } from '@claimline/station-crypto';
import { createApiClient } from '../api-client.js';
import { writeFileAtomic } from '../files.js';
import { newNonce } from '../station-context.js';
import { ensurePrivateDir, stationPaths, writeSettings } from '../station-dir.js';
import { StationError } from '../station-error.js';

export type InitOptions = {
  dir: string;
  server: string;
  key: string;
  passphraseEnv?: string;
  algorithm?: 'x25519' | 'p256';
  signingAlgorithm?: SigningAlgorithm;
  force?: boolean;
  httpTimeoutMs: number;
  insecureHttp?: boolean;
  /** PEM file of the CA that issued the API's TLS certificate: pinned (default: the system's CAs). */
  serverCa?: string;
  /** The endpoint and its trust root units must get; default: what the server states now (shown, pinned). */
  deviceEndpoint?: string;
  deviceEndpointCa?: string;
};

export type InitResult = {
  dir: string;
  stationName: string;
  status: 'ACTIVE' | 'PENDING';
  fingerprint: string;
  signingFingerprint: string;
  serverKeyFingerprint: string;
  deviceEndpoint: string;
};

const readFile = (file: string, what: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new StationError('BAD_KEY', `${what} ${file} cannot be read`);
  }
};

function exportPrivate(key: KeyObject, passphrase: string | undefined): string {
  return key
    .export(
      passphrase
        ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }
        : { type: 'pkcs8', format: 'pem' },
    )
    .toString();
}

/**
 * Enrolment (issue 13): creates the seal key pair (X25519 unless P-256) and the request-signing key pair
 * (P-256 unless Ed25519), keeps the private keys in the station directory (0600, PKCS#8, encrypted with
 * the passphrase from `passphraseEnv` if given), uploads the public keys in a request signed with the new
 * signing key, and pins the server's TLS CA, its bundle-signing key, the endpoint and its trust root.
 * The first keys of a station are active at once; new keys for an enrolled station are PENDING until an
 * ADMIN compares the fingerprints printed here with the API's and approves them.
 */
export async function initStation(options: InitOptions): Promise<InitResult> {
  const paths = stationPaths(options.dir);
  if (fs.existsSync(paths.settings) && !options.force) {
    throw new StationError(
      'BAD_KEY',
      `${paths.dir} is already set up; use --force to make new keys (an admin must approve them; units downloaded under the old key must be downloaded again)`,
    );
  }
  const passphrase = options.passphraseEnv ? process.env[options.passphraseEnv] : undefined;
  if (options.passphraseEnv && !passphrase)
    throw new StationError('BAD_KEY', `--passphrase-env ${options.passphraseEnv}: that variable is not set`);
  const serverCaPem = options.serverCa ? readFile(options.serverCa, 'server CA') : undefined;
  ensurePrivateDir(paths.dir);
  const seal = generateStationKeyPair(options.algorithm ?? 'x25519');
  const signingAlgorithm = options.signingAlgorithm ?? DEFAULT_SIGNING_ALGORITHM;
  const signing = generateSigningKeyPair(signingAlgorithm);
  const publicPem = seal.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const signingPublicPem = signing.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const client = createApiClient(options.server, options.key, options.httpTimeoutMs, {
    signer: createRequestSigner(signing.privateKey, newNonce),
    ...(serverCaPem ? { serverCaPem } : {}),
    ...(options.insecureHttp ? { insecureHttp: true } : {}),
  });
  const registered = await client.setKey(publicPem, signingPublicPem);
  const fingerprint = publicKeyFingerprint(seal.publicKey);
  const signingFingerprint = keyFingerprint(signing.publicKey);
  if (registered.fingerprint !== fingerprint || registered.signingFingerprint !== signingFingerprint)
    throw new StationError('BAD_KEY', 'the server stored other keys than the ones sent');
  const deviceEndpoint = options.deviceEndpoint ?? registered.server.endpoint;
  const deviceCaPem = options.deviceEndpointCa
    ? readFile(options.deviceEndpointCa, 'endpoint CA')
    : registered.server.caPem;
  if (!deviceEndpoint || !deviceCaPem)
    throw new StationError(
      'BAD_KEY',
      'the server states no device endpoint or endpoint CA: give --device-endpoint and --device-endpoint-ca',
    );
  writeFileAtomic(paths.privateKey, exportPrivate(seal.privateKey, passphrase), 0o600);
  writeFileAtomic(paths.signingKey, exportPrivate(signing.privateKey, passphrase), 0o600);
  writeFileAtomic(paths.publicKey, publicPem, 0o644);
  writeSettings(paths, {
    server: options.server,
    apiKey: options.key,
    stationId: registered.stationId,
    stationName: registered.name,
    fingerprint,
    algorithm: registered.algorithm,
    signingFingerprint,
    signingAlgorithm,
    keyStatus: registered.status,
    ...(serverCaPem ? { serverCaPem } : {}),
    serverBundleKey: registered.server.bundleKey,
    deviceEndpoint,
    deviceCaPem,
    ...(options.passphraseEnv ? { passphraseEnv: options.passphraseEnv } : {}),
  });
  return {
    dir: paths.dir,
    stationName: registered.name,
    status: registered.status,
    fingerprint,
    signingFingerprint,
    serverKeyFingerprint: registered.server.bundleKeyFingerprint,
    deviceEndpoint,
  };
}
