import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createVault, type Vault } from '@claimline/vault';
import type { AppDeps } from '../../deps.js';
import { AppError } from '../../errors/app-error.js';
import { createBundleKeySource, type BundleKey } from './bundle-key.js';

/**
 * What the station endpoints need beyond the shared deps, read once when the app is built: the vault
 * (to open a stored key before re-sealing it to the station), the CA chain a device must trust and the
 * AWS endpoint. A deployment that serves no station (MES only) may leave these unset; the problem is
 * logged at start and every credential download then answers 503 CREDENTIALS_UNAVAILABLE naming it.
 */
export type StationSetup = {
  vault(): Vault;
  caPem(): string;
  endpoint(): string;
  retentionSeconds: number;
  /** False only in the station benchmark's "off" arm (AppDeps.stationSignatures). */
  signBundles: boolean;
  /** The API's bundle-signing key: sealed by the vault (made on first use), or in AWS KMS. */
  bundleKey(): Promise<BundleKey>;
};

function attempt<T>(what: string, build: () => T, deps: AppDeps): () => T {
  try {
    const value = build();
    return () => value;
  } catch (error) {
    const reason = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    deps.logger.warn({ reason }, 'station credential downloads are disabled');
    return () => {
      throw new AppError('CREDENTIALS_UNAVAILABLE', reason);
    };
  }
}

function readCaChain(file: string): string {
  const pem = fs.readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${file} holds no PEM certificate`);
  for (const block of blocks) new X509Certificate(block); // fail now, not at the first download
  return `${blocks.join('\n')}\n`;
}

function readEndpoint(configured: string | undefined, caPath: string): string {
  if (configured) return configured;
  const file = path.join(path.dirname(caPath), 'endpoint.json');
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { host?: unknown; port?: unknown };
  if (typeof parsed.host !== 'string' || typeof parsed.port !== 'number')
    throw new Error(`${file} is not {host, port}`);
  return `${parsed.host}:${parsed.port}`;
}

export function createStationSetup(deps: AppDeps): StationSetup {
  const { config } = deps;
  const vault = attempt('vault (VAULT_*)', () => createVault(config), deps);
  return {
    vault,
    bundleKey: createBundleKeySource(config, deps.prisma, vault),
    signBundles: deps.stationSignatures !== false,
    caPem: attempt('API_DEVICE_CA_PATH', () => readCaChain(config.API_DEVICE_CA_PATH), deps),
    endpoint: attempt(
      'API_DEVICE_ENDPOINT',
      () => readEndpoint(config.API_DEVICE_ENDPOINT, config.API_DEVICE_CA_PATH),
      deps,
    ),
    retentionSeconds: config.API_KEY_RETENTION_SECONDS,
  };
}
