export { startWorkerProcess, type WorkerProcess } from './worker-process.js';
export {
  provisionDevice,
  type ProvisionDeps,
  type ProvisionOutcome,
} from './provisioning/provision-device.js';
export { createCallQuota, type CallQuota, type QuotaOperation } from './rate-limit/call-quota.js';
export type { ClaimGateway, ClaimSession } from './provisioning/claim-port.js';
