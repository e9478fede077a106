import type { CallQuota } from '@claimline/call-quota';

/** The claim flow's AWS operations, each with its own per-second quota (`WORKER_QUOTA_*`). */
export type QuotaOperation = 'CreateKeysAndCertificate' | 'CreateCertificateFromCsr' | 'RegisterThing';

export type ClaimCallQuota = CallQuota<QuotaOperation>;
