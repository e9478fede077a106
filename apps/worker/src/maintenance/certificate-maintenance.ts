import { ControlPlaneError, type ControlPlane } from '@claimline/aws-control-plane';
import type { PrismaClient } from '@claimline/db';
import {
  confirmAwsCleanUp,
  loadMaintenanceCertificate,
  type Actor,
  type MaintenanceCertificate,
} from '@claimline/device-ledger';

/**
 * The maintenance queue's two services, free of BullMQ: a certificate's clean-up at AWS through the
 * control plane (every call under its operation's quota), then the confirmation in the ledger. Both
 * are idempotent: each step reads AWS first or tolerates "already done" (not found, already REVOKED),
 * so a retry after any failure, or a second run of the same job, ends in the same state.
 */
export type MaintenanceDeps = {
  prisma: PrismaClient;
  who: Actor;
  /** undefined: no control plane in this process (`absence` says why). */
  controlPlane: ControlPlane | undefined;
  absence: string;
};

export type MaintenanceOutcome =
  | { kind: 'revoked' | 'orphan-cleaned'; certificateId: string; details: Record<string, unknown> }
  | { kind: 'skipped'; reason: string };

/** No control plane: nothing can be done at AWS. Permanent for this process; visible to operators. */
export class ControlPlaneUnavailable extends Error {
  readonly code = 'ControlPlaneUnavailable';
  readonly retryable = false;
  constructor(reason: string) {
    super(`no control plane (${reason}): the certificate is not changed at AWS`);
    this.name = 'ControlPlaneUnavailable';
  }
}

function controlPlaneOf(deps: MaintenanceDeps): ControlPlane {
  if (!deps.controlPlane) throw new ControlPlaneUnavailable(deps.absence);
  return deps.controlPlane;
}

/** Things and policies the certificate is attached to at AWS, detached; returns what was detached. */
async function detachEverything(cp: ControlPlane, arn: string) {
  const things = await cp.listPrincipalThings(arn);
  for (const thing of things) await cp.detachThingPrincipal(thing, arn);
  const policies = await cp.listAttachedPolicies(arn);
  for (const policy of policies) await cp.detachPolicy(policy, arn);
  return { detachedThings: things, detachedPolicies: policies };
}

async function load(deps: MaintenanceDeps, id: string, statuses: string[]) {
  const cert = await loadMaintenanceCertificate(deps.prisma, id);
  if (!cert) return { skipped: 'certificate not found' } as const;
  if (cert.awsSettledAt) return { skipped: 'already settled at AWS' } as const;
  if (!statuses.includes(cert.status)) return { skipped: `certificate is ${cert.status}` } as const;
  return { cert };
}

async function confirm(
  deps: MaintenanceDeps,
  cert: MaintenanceCertificate,
  kind: 'revoked' | 'orphan-cleaned',
  details: Record<string, unknown>,
): Promise<MaintenanceOutcome> {
  const recorded = await confirmAwsCleanUp(deps.prisma, deps.who, cert, { kind, details });
  if (!recorded) return { kind: 'skipped', reason: 'changed meanwhile' };
  return { kind, certificateId: cert.certificateId, details };
}

/**
 * Revoke at AWS: UpdateCertificate REVOKED (AWS closes its connections), then detached from its things
 * and policies; REVOKING (or REVOKED unconfirmed, e.g. found by reconcile) → REVOKED. A certificate AWS
 * no longer has counts as revoked.
 */
export async function revokeAtAws(
  deps: MaintenanceDeps,
  certificateRowId: string,
): Promise<MaintenanceOutcome> {
  const loaded = await load(deps, certificateRowId, ['REVOKING', 'REVOKED']);
  if (!loaded.cert) return { kind: 'skipped', reason: loaded.skipped };
  const { cert } = loaded;
  const cp = controlPlaneOf(deps);
  const before = await cp.describeCertificate(cert.certificateId);
  if (!before) return confirm(deps, cert, 'revoked', { awsStatusBefore: 'MISSING' });
  if (before.status !== 'REVOKED') await cp.updateCertificate(cert.certificateId, 'REVOKED');
  const detached = await detachEverything(cp, before.certificateArn);
  return confirm(deps, cert, 'revoked', { awsStatusBefore: before.status, ...detached });
}

/**
 * An orphan at AWS: detached, set INACTIVE (unless it is already not ACTIVE) and deleted; one AWS no
 * longer has is settled as it is.
 */
export async function cleanOrphanAtAws(
  deps: MaintenanceDeps,
  certificateRowId: string,
): Promise<MaintenanceOutcome> {
  const loaded = await load(deps, certificateRowId, ['ORPHANED']);
  if (!loaded.cert) return { kind: 'skipped', reason: loaded.skipped };
  const { cert } = loaded;
  const cp = controlPlaneOf(deps);
  const before = await cp.describeCertificate(cert.certificateId);
  if (!before) return confirm(deps, cert, 'orphan-cleaned', { awsStatusBefore: 'MISSING', deleted: false });
  const detached = await detachEverything(cp, before.certificateArn);
  if (before.status === 'ACTIVE' || before.status === 'PENDING_ACTIVATION')
    await cp.updateCertificate(cert.certificateId, 'INACTIVE');
  const deleted = await cp.deleteCertificate(cert.certificateId);
  return confirm(deps, cert, 'orphan-cleaned', { awsStatusBefore: before.status, ...detached, deleted });
}

/**
 * A failure as the queue decides on it. AWS's throttling and outages, and its eventual consistency (a
 * delete refused because a detach has not landed yet: conflict, invalid state) are retried with
 * back-off; no control plane, denied credentials or a malformed request are not.
 */
export function classifyMaintenanceFailure(error: unknown): {
  code: string;
  message: string;
  retryable: boolean;
  throttled: boolean;
} {
  if (error instanceof ControlPlaneUnavailable) return { ...error, message: error.message, throttled: false };
  if (error instanceof ControlPlaneError) {
    const retryable = ['throttled', 'unavailable', 'conflict', 'invalid-state'].includes(error.kind);
    return {
      code: `ControlPlane:${error.kind}`,
      message: error.message,
      retryable,
      throttled: error.kind === 'throttled',
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  // Database or Redis trouble: transient from the queue's point of view.
  return { code: 'MaintenanceError', message, retryable: true, throttled: false };
}
