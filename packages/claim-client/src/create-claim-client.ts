import { accessSync, constants } from 'node:fs';
import type { ClaimConfig } from '@claimline/config';
import type { Logger } from '@claimline/logger';
import { ClaimConnectionPool } from './claim-connection-pool.js';
import type { ClaimPoolOptions } from './types.js';

/**
 * The claim pool from the `claim` environment schema, started. Pointing it at real AWS IoT is a matter
 * of configuration alone (endpoint, port, Amazon Root CA 1, claim certificate and key): see README.md.
 * Missing files fail here, naming the variable, instead of as a TLS error on every reconnect.
 */
export function createClaimClient(
  config: ClaimConfig,
  logger: Logger,
  overrides: Partial<ClaimPoolOptions> = {},
): ClaimConnectionPool {
  const files = {
    AWS_IOT_CA_PATH: config.AWS_IOT_CA_PATH,
    AWS_IOT_CLAIM_CERT_PATH: config.AWS_IOT_CLAIM_CERT_PATH,
    AWS_IOT_CLAIM_KEY_PATH: config.AWS_IOT_CLAIM_KEY_PATH,
  };
  for (const [variable, path] of Object.entries(files)) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new Error(`${variable}: cannot read ${path}`);
    }
  }
  const pool = new ClaimConnectionPool(
    {
      host: config.AWS_IOT_ENDPOINT,
      port: config.AWS_IOT_PORT,
      caPath: config.AWS_IOT_CA_PATH,
      claimCertPath: config.AWS_IOT_CLAIM_CERT_PATH,
      claimKeyPath: config.AWS_IOT_CLAIM_KEY_PATH,
      size: config.CLAIM_POOL_SIZE,
      clientIdPrefix: config.CLAIM_CLIENT_ID_PREFIX,
      operationTimeoutMs: config.CLAIM_OPERATION_TIMEOUT_MS,
      ...overrides,
    },
    logger,
  );
  logger.info(
    {
      endpoint: config.AWS_IOT_ENDPOINT,
      port: config.AWS_IOT_PORT,
      region: config.AWS_REGION,
      size: config.CLAIM_POOL_SIZE,
    },
    'claim client starting',
  );
  return pool.start();
}
