import type { CertificateStatus } from '@claimline/db';

/**
 * A certificate's life as one table, beside the unit's (device-states.ts): every event, the statuses
 * it may start from and the status it leads to. The ledger's writes guard on `from` in SQL.
 *
 * ISSUED → REGISTERING → ACTIVE → REVOKING → REVOKED
 *    ↘          ↘ (AWS never registered it)
 *     ORPHANED ◄─┘
 *
 * REVOKING: revoked in claimline, AWS not yet confirmed (UpdateCertificate REVOKED + detached); the
 * maintenance queue confirms it. ORPHANED and REVOKED certificates are cleaned up at AWS by the same
 * queue (`aws_settled_at` records when AWS confirmed).
 */
export type CertificateTransition = { from: readonly CertificateStatus[]; to: CertificateStatus };

export const CERTIFICATE_TRANSITIONS = {
  /** AWS issued it; RegisterThing not sent yet. */
  issued: { from: [], to: 'ISSUED' },
  /** Intent before effect: RegisterThing is about to be sent. */
  registering: { from: ['ISSUED', 'REGISTERING'], to: 'REGISTERING' },
  /** AWS refused RegisterThing and applied nothing. */
  notRegistered: { from: ['REGISTERING'], to: 'ISSUED' },
  activated: { from: ['ISSUED', 'REGISTERING'], to: 'ACTIVE' },
  /** AWS will never register it (token expired or refused, a superseded run's, its unit FAILED). */
  orphaned: { from: ['ISSUED', 'REGISTERING'], to: 'ORPHANED' },
  /** Revoke or re-provision asked for it; the maintenance queue revokes it at AWS. */
  revokeRequested: { from: ['ACTIVE'], to: 'REVOKING' },
  /** AWS confirmed: REVOKED there and detached from its things (or gone). */
  revokeConfirmed: { from: ['REVOKING', 'REVOKED'], to: 'REVOKED' },
} as const satisfies Record<string, CertificateTransition>;

export type CertificateEvent = keyof typeof CERTIFICATE_TRANSITIONS;

/** Statuses whose private key claimline no longer keeps: shredded in the statement that sets them. */
export const KEYLESS_STATUSES: readonly CertificateStatus[] = ['REVOKING', 'REVOKED', 'ORPHANED'];

/** Statuses the maintenance queue settles at AWS (while `aws_settled_at` is null). */
export const AWS_CLEAN_UP_STATUSES: readonly CertificateStatus[] = ['REVOKING', 'REVOKED', 'ORPHANED'];

export function certificateFromStatuses(event: CertificateEvent): CertificateStatus[] {
  return [...CERTIFICATE_TRANSITIONS[event].from];
}
