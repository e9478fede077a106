import { certificateIdOfArn } from './aws-view.js';

/** Each way the database and AWS can disagree about a unit. */
export const FINDING_KINDS = [
  /** The unit was registered as a thing that AWS does not have. */
  'THING_MISSING',
  /** The database's ACTIVE certificate is not ACTIVE at AWS (or gone). */
  'ACTIVE_NOT_ACTIVE_AT_AWS',
  /** The database's ACTIVE certificate is not attached to the unit's thing. */
  'ACTIVE_NOT_ATTACHED',
  /** The thing has an ACTIVE principal other than the database's ACTIVE certificate. */
  'EXTRA_ACTIVE_PRINCIPAL',
  /** A certificate the database lists REVOKED is still there at AWS and not revoked. */
  'REVOKED_NOT_REVOKED_AT_AWS',
  /** A certificate the database lists ORPHANED is ACTIVE at AWS (orphans must be gone or inactive). */
  'ORPHAN_ACTIVE_AT_AWS',
  /** A certificate the database lists REVOKING: its revocation at AWS is not confirmed yet. */
  'REVOKE_UNCONFIRMED',
  /** A certificate whose RegisterThing outcome is still unknown here; AWS's status says how to settle it. */
  'REGISTERING_UNRESOLVED',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

export type Finding = {
  kind: FindingKind;
  serial: string;
  thingName: string | null;
  certificateId: string | null;
  /** The certificate's status in the database and at AWS (`MISSING`: AWS does not know it). */
  databaseStatus: string | null;
  awsStatus: string | null;
};

/** A unit as reconcile reads it from the database. */
export type UnitRecord = {
  serial: string;
  thingName: string | null;
  certificates: { certificateId: string; status: string }[];
};

/**
 * The findings of one unit, from AWS's certificate statuses (all of them, one bulk listing) and the
 * principals of its thing (undefined: no such thing; null: the unit has no thing to ask about).
 */
export function findingsOf(
  unit: UnitRecord,
  statuses: ReadonlyMap<string, string>,
  principals: string[] | undefined | null,
): Finding[] {
  const findings: Finding[] = [];
  const awsStatus = (id: string) => statuses.get(id.toLowerCase()) ?? 'MISSING';
  const add = (kind: FindingKind, cert: { certificateId: string; status: string } | null, aws?: string) =>
    findings.push({
      kind,
      serial: unit.serial,
      thingName: unit.thingName,
      certificateId: cert?.certificateId ?? null,
      databaseStatus: cert?.status ?? null,
      awsStatus: aws ?? (cert ? awsStatus(cert.certificateId) : null),
    });

  const active = unit.certificates.find((cert) => cert.status === 'ACTIVE') ?? null;
  for (const cert of unit.certificates) {
    const status = awsStatus(cert.certificateId);
    if (cert.status === 'ACTIVE' && status !== 'ACTIVE') add('ACTIVE_NOT_ACTIVE_AT_AWS', cert);
    if (cert.status === 'REVOKED' && status !== 'MISSING' && status !== 'REVOKED')
      add('REVOKED_NOT_REVOKED_AT_AWS', cert);
    if (cert.status === 'ORPHANED' && status === 'ACTIVE') add('ORPHAN_ACTIVE_AT_AWS', cert);
    if (cert.status === 'REVOKING') add('REVOKE_UNCONFIRMED', cert);
    if (cert.status === 'REGISTERING') add('REGISTERING_UNRESOLVED', cert);
  }
  if (principals === null || unit.thingName === null) return findings;
  if (principals === undefined) {
    add('THING_MISSING', active);
    return findings;
  }
  const attached = principals.flatMap((arn) => certificateIdOfArn(arn) ?? []);
  if (active && !attached.includes(active.certificateId.toLowerCase())) add('ACTIVE_NOT_ATTACHED', active);
  const known = new Map(unit.certificates.map((cert) => [cert.certificateId.toLowerCase(), cert.status]));
  // Already a finding of its own above, by the status the database gives it.
  const reported = new Set(['ORPHANED', 'REVOKING', 'REVOKED', 'REGISTERING']);
  for (const id of attached) {
    if (id === active?.certificateId.toLowerCase() || awsStatus(id) !== 'ACTIVE') continue;
    if (reported.has(known.get(id) ?? '')) continue;
    add('EXTRA_ACTIVE_PRINCIPAL', { certificateId: id, status: known.get(id) ?? 'UNKNOWN' }, 'ACTIVE');
  }
  return findings;
}
