export { ClaimConnectionPool, type AcquireOptions } from './claim-connection-pool.js';
export { ClaimLease, type OperationOptions } from './claim-lease.js';
export { createClaimClient } from './create-claim-client.js';
export { generateKeyAndCsr, type CsrKeyAlgorithm, type KeyAndCsr } from './csr.js';
export {
  ClaimConnectionError,
  ClaimError,
  ClaimRejectedError,
  ClaimTimeoutError,
  isRetryableStatus,
} from './errors.js';
export { reconnectDelayMs, MIN_CONNECT_INTERVAL_MS } from './backoff.js';
export type {
  CertificateResult,
  ClaimEndpoint,
  ClaimPoolOptions,
  PayloadFormat,
  PoolCounts,
  RegisterThingResult,
} from './types.js';
export { probeDeviceConnect, type ConnectProbeOptions, type ConnectProbeResult } from './connect-probe.js';
