export { createCallQuota, type CallQuota, type CallQuotaOptions, type Slot } from './call-quota.js';
