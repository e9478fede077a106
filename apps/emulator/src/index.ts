export { startEmulator, type RunningEmulator } from './emulator.js';
export {
  DEFAULT_QUOTAS,
  NO_FAULTS,
  OPERATIONS,
  type EmulatorOptions,
  type Faults,
  type FaultRates,
  type KeyAlgorithm,
  type Operation,
  type Quotas,
} from './options.js';
export type { CertificateRecord, CertificateStatus, CounterSecond, Policy, Thing } from './registry/types.js';
export type { Rejection } from './provisioning/provisioning-error.js';
export { TemplateValidationError } from '@claimline/provisioning-template';
