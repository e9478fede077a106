import type { DeviceState } from '@claimline/db';

/**
 * A unit's life as one table: every event that changes a device's state, the states it may start
 * from, the state it leads to, and who may cause it. The ledger's writes guard on `from` in SQL, so
 * a concurrent change makes a write a detected no-op instead of a wrong state.
 */
export type Cause = 'worker' | 'mes' | 'admin' | 'station' | 'system';

export type Transition = { from: readonly DeviceState[]; to: DeviceState; by: readonly Cause[] };

/** Devices a provisioning job owns: the pipeline between the MES's request and a certificate. */
export const IN_FLIGHT: readonly DeviceState[] = ['QUEUED', 'CLAIMING', 'CERT_ISSUED', 'VERIFYING'];

/** Provisioning is over for these: a duplicate or late job is a no-op. */
export const SETTLED: readonly DeviceState[] = [
  'REGISTERED',
  'DOWNLOADED',
  'BURNED',
  'BURN_FAILED',
  'CANCELLED',
  'FAILED',
];

/**
 * Devices whose provisioning is not over: in the pipeline, or (device-csr batches) waiting for the
 * unit's CSR. A batch is finished when none of its units is in one of these.
 */
export const UNFINISHED: readonly DeviceState[] = ['AWAITING_CSR', ...IN_FLIGHT];

export const TRANSITIONS = {
  /** The MES's batch creates the unit (no previous state). */
  create: { from: [], to: 'QUEUED', by: ['mes', 'admin'] },
  /** A device-csr batch creates the unit waiting for its CSR: no job until a station posts it. */
  createAwaitingCsr: { from: [], to: 'AWAITING_CSR', by: ['mes', 'admin'] },
  /** A station posted the unit's CSR: its job is enqueued. */
  csrReceived: { from: ['AWAITING_CSR'], to: 'QUEUED', by: ['station'] },
  /** A job's attempt takes the unit (its lease; a lapsed lease may be taken over). */
  claim: { from: IN_FLIGHT, to: 'CLAIMING', by: ['worker'] },
  certificateIssued: { from: ['CLAIMING', 'CERT_ISSUED'], to: 'CERT_ISSUED', by: ['worker'] },
  registered: { from: ['CLAIMING', 'CERT_ISSUED'], to: 'REGISTERED', by: ['worker'] },
  /** Registered, with the verification CONNECT still to come (WORKER_VERIFY_CONNECT). */
  registeredUnverified: { from: ['CLAIMING', 'CERT_ISSUED'], to: 'VERIFYING', by: ['worker'] },
  verified: { from: ['VERIFYING'], to: 'REGISTERED', by: ['worker'] },
  verifyFailed: { from: ['VERIFYING'], to: 'VERIFY_FAILED', by: ['worker'] },
  failed: { from: IN_FLIGHT, to: 'FAILED', by: ['worker'] },
  cancel: { from: ['QUEUED', 'AWAITING_CSR'], to: 'CANCELLED', by: ['mes', 'admin'] },
  retry: { from: ['FAILED'], to: 'QUEUED', by: ['mes', 'admin'] },
  reprovision: {
    from: ['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'FAILED'],
    to: 'QUEUED',
    by: ['admin'],
  },
  /** Reprovisioning a device-csr unit: its CSR is dropped, the unit must send a new one. */
  reprovisionAwaitingCsr: {
    from: ['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'FAILED'],
    to: 'AWAITING_CSR',
    by: ['admin'],
  },
  /** A station downloads a unit (again, if it is the one holding it). */
  download: { from: ['REGISTERED', 'DOWNLOADED', 'BURN_FAILED'], to: 'DOWNLOADED', by: ['station'] },
  burned: { from: ['DOWNLOADED', 'BURN_FAILED'], to: 'BURNED', by: ['station'] },
  burnFailed: { from: ['DOWNLOADED', 'BURN_FAILED'], to: 'BURN_FAILED', by: ['station'] },
  /** An admin frees a downloaded unit for another station. */
  reassign: { from: ['REGISTERED', 'DOWNLOADED', 'BURN_FAILED'], to: 'REGISTERED', by: ['admin'] },
} as const satisfies Record<string, Transition>;

export type DeviceEvent = keyof typeof TRANSITIONS;

/** May `event` happen to a unit in `state`? */
export function allows(event: DeviceEvent, state: DeviceState): boolean {
  return (TRANSITIONS[event].from as readonly DeviceState[]).includes(state);
}

/** The states `event` may start from, as a Postgres array literal for a guarded UPDATE. */
export function fromStates(event: DeviceEvent): DeviceState[] {
  return [...TRANSITIONS[event].from];
}
