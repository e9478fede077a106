import type { WorkerConfig } from '@claimline/config';
import {
  createClaimClient,
  generateKeyAndCsr,
  probeDeviceConnect,
  type PoolCounts,
} from '@claimline/claim-client';
import type { Logger } from '@claimline/logger';
import type { ClaimGateway, ClaimSession } from './provisioning/claim-port.js';
import type { ClaimCallQuota } from './rate-limit/claim-quota.js';

export type ClaimGatewayHandle = ClaimGateway & { counts(): PoolCounts; close(): Promise<void> };

/**
 * The provisioning service's view of AWS IoT: a leased claim connection whose every call first
 * takes a slot of the account-wide quota for its operation.
 */
export function createClaimGateway(
  config: WorkerConfig,
  logger: Logger,
  quota: ClaimCallQuota,
): ClaimGatewayHandle {
  const pool = createClaimClient(config, logger.child({ component: 'claim-pool' }));
  const probeLogger = logger.child({ component: 'connect-probe' });
  return {
    async withSession(run) {
      return pool.withLease((lease) => {
        const session: ClaimSession = {
          async createKeysAndCertificate(format) {
            await quota.take('CreateKeysAndCertificate');
            return lease.createKeysAndCertificate({ format });
          },
          async createCertificateFromCsr(csrPem, format) {
            await quota.take('CreateCertificateFromCsr');
            return lease.createCertificateFromCsr(csrPem, { format });
          },
          async registerThing(templateName, token, parameters, format) {
            await quota.take('RegisterThing');
            return lease.registerThing(templateName, token, parameters, { format });
          },
        };
        return run(session);
      });
    },
    generateKeyAndCsr: (algorithm, commonName) => generateKeyAndCsr(commonName, algorithm),
    async probeConnect(credentials) {
      const result = await probeDeviceConnect({
        host: config.AWS_IOT_ENDPOINT,
        port: config.AWS_IOT_PORT,
        caPath: config.AWS_IOT_CA_PATH,
        ...credentials,
        timeoutMs: config.CLAIM_OPERATION_TIMEOUT_MS,
        logger: probeLogger,
      });
      return result.outcome === 'connected'
        ? { connected: true }
        : {
            connected: false,
            refused: result.outcome === 'refused',
            reason: `${result.outcome}: ${result.reason}`,
          };
    },
    counts: () => pool.counts(),
    close: () => pool.close(),
  };
}
