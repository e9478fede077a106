export {
  appendAudit,
  appendAuditBulk,
  appendAuditRaw,
  SYSTEM,
  type Actor,
  type AuditEntry,
} from './audit-log.js';
export type { Db } from './db.js';
export {
  allows,
  fromStates,
  IN_FLIGHT,
  SETTLED,
  TRANSITIONS,
  UNFINISHED,
  type Cause,
  type DeviceEvent,
  type Transition,
} from './device-states.js';
export { FencedOut, RegistrationConflict, type FailureRecord } from './ledger-errors.js';
export {
  markNotRegistered,
  markRegistering,
  orphan,
  pendingCertificate,
  releaseLease,
  renewLease,
  saveIssuedCertificate,
  saveRegistration,
  saveVerification,
  startAttempt,
  type AttemptStart,
  type DeviceWithBatch,
  type Fence,
  type PendingCertificate,
  type ProvisioningLedger,
  type RegistrationEvidence,
} from './provisioning-writes.js';
export {
  rewrapSealed,
  SEALED_COLUMNS,
  sealedPrivateKeyOf,
  sealedTokenOf,
  type Rewrap,
  type Sealed,
  type SealedColumns,
} from './sealed-columns.js';
export {
  cancelQueuedDevices,
  createDevicesRaw,
  requeueFailedDevices,
  type QueuedUnit,
} from './batch-writes.js';
export { claimDownloads, recordBurn, shredBurnedKeys } from './station-writes.js';
export { releaseFromStation, requeueForReprovision } from './unit-writes.js';
export {
  AWS_CLEAN_UP_STATUSES,
  CERTIFICATE_TRANSITIONS,
  certificateFromStatuses,
  KEYLESS_STATUSES,
  type CertificateEvent,
  type CertificateTransition,
} from './certificate-states.js';
export {
  confirmAwsCleanUp,
  loadMaintenanceCertificate,
  orphanCertificate,
  recordAwsCleanUpBlocked,
  requestRevocation,
  shredFailedUnitCertificates,
  unsettledCertificates,
  type CertificateRef,
  type MaintenanceCertificate,
} from './certificate-writes.js';
export { markBatchFinishedIfDone, markFailed, recordFailure } from './job-outcome-writes.js';
export { requeueStuckUnit, type RequeueReason, type StuckUnit } from './recovery-writes.js';
export { recordCsr, type ReceivedCsr } from './csr-writes.js';
