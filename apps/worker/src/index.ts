export { startWorkerProcess, type WorkerProcess } from './worker-process.js';
export {
  provisionDevice,
  type ProvisionDeps,
  type ProvisionOutcome,
} from './provisioning/provision-device.js';
export { createCallQuota, type CallQuota } from '@claimline/call-quota';
export type { QuotaOperation, ClaimCallQuota } from './rate-limit/claim-quota.js';
export type { ClaimGateway, ClaimSession } from './provisioning/claim-port.js';
