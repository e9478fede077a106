export { createCallQuota, type CallQuota, type CallQuotaOptions } from './call-quota.js';
