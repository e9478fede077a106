import type { Prisma, PrismaClient } from '@claimline/db';
import type { Actor } from './audit-log.js';
import { AWS_CLEAN_UP_STATUSES, certificateFromStatuses } from './certificate-states.js';
import type { Db } from './db.js';

/**
 * The certificate's own writes beyond the claim flow: revocation, orphaning, key shredding and the
 * maintenance queue's confirmations. Every status that means "claimline no longer hands this key out"
 * (REVOKING, REVOKED, ORPHANED) is set in the same statement that shreds the sealed private key
 * (ciphertext and wrapped data key to NULL, `shredded_at`), with a `certificate.key-shredded` audit
 * row per key, so no window exists in which such a certificate keeps key material.
 */

/** A certificate the maintenance queue has to settle at AWS: its row id (the job's key) and AWS id. */
export type CertificateRef = { id: string; certificateId: string };

type ShredRow = { id: string; certificate_id: string; shredded: boolean };

const refsOf = (rows: ShredRow[]): CertificateRef[] =>
  rows.map((r) => ({ id: r.id, certificateId: r.certificate_id }));

/**
 * revokeRequested: the unit's ACTIVE certificates → REVOKING, their keys shredded (audited). The
 * maintenance queue revokes them at AWS and confirms REVOKED. Returns them, for the jobs to enqueue.
 */
export async function requestRevocation(db: Db, who: Actor, deviceId: string): Promise<CertificateRef[]> {
  const rows = await db.$queryRaw<ShredRow[]>`
    WITH before AS (
      SELECT id, private_key_ciphertext IS NOT NULL AS had_key FROM certificate
      WHERE device_id = ${deviceId}::uuid
        AND status = ANY(${certificateFromStatuses('revokeRequested')}::text[]::"CertificateStatus"[])
      FOR UPDATE
    ), changed AS (
      UPDATE certificate c
      SET status = 'REVOKING', revoking_at = now(),
          private_key_ciphertext = NULL, private_key_wrapped_key = NULL,
          shredded_at = CASE WHEN before.had_key THEN now() ELSE c.shredded_at END
      FROM before WHERE c.id = before.id
      RETURNING c.id::text AS id, c.certificate_id, before.had_key AS shredded
    ), audited AS (
      INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details)
      SELECT ${who.actor}, ${who.origin}, 'certificate.key-shredded', d.id, d.batch_id,
        jsonb_build_object('certificateId', ch.certificate_id, 'reason', 'revoked')
      FROM changed ch, device d WHERE d.id = ${deviceId}::uuid AND ch.shredded
    )
    SELECT id, certificate_id, shredded FROM changed`;
  return refsOf(rows);
}

/**
 * orphaned: AWS will never register it (token expired or refused, never sent). Token and key shredded
 * in the same statement (audited). The maintenance scan then deactivates and deletes it at AWS.
 */
export async function orphanCertificate(
  db: Db,
  who: Actor,
  certificateRowId: string,
  at: Date,
  reason: string,
): Promise<boolean> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    WITH before AS (
      SELECT id, private_key_ciphertext IS NOT NULL AS had_key FROM certificate
      WHERE id = ${certificateRowId}::uuid
        AND status = ANY(${certificateFromStatuses('orphaned')}::text[]::"CertificateStatus"[])
      FOR UPDATE
    ), changed AS (
      UPDATE certificate c
      SET status = 'ORPHANED', orphaned_at = ${at},
          ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL,
          private_key_ciphertext = NULL, private_key_wrapped_key = NULL,
          shredded_at = CASE WHEN before.had_key THEN ${at} ELSE c.shredded_at END
      FROM before WHERE c.id = before.id
      RETURNING c.certificate_id, c.device_id, before.had_key
    ), audited AS (
      INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
      SELECT ${who.actor}, ${who.origin}, 'certificate.key-shredded', ch.device_id, d.batch_id,
        jsonb_build_object('certificateId', ch.certificate_id, 'reason', ${reason}::text), ${at}
      FROM changed ch JOIN device d ON d.id = ch.device_id WHERE ch.had_key
    )
    SELECT count(*)::int AS n FROM changed`;
  return rows[0]?.n === 1;
}

/**
 * A unit became FAILED: none of its certificates will be handed out. ISSUED ones (never sent) are
 * ORPHANED, ACTIVE ones (a unit that failed while VERIFYING) REVOKING; both lose their key now
 * (audited). A REGISTERING one keeps its key: its outcome is unknown, and if AWS did register it, a
 * retry resolves it to the unit's certificate (docs/worker.md); its key goes when it is orphaned or
 * revoked. Runs inside markFailed's transaction.
 */
export async function shredFailedUnitCertificates(
  tx: Prisma.TransactionClient,
  who: Actor,
  device: { id: string; batchId: string },
): Promise<CertificateRef[]> {
  const rows = await tx.$queryRaw<ShredRow[]>`
    WITH before AS (
      SELECT id, status, private_key_ciphertext IS NOT NULL AS had_key FROM certificate
      WHERE device_id = ${device.id}::uuid AND status IN ('ISSUED', 'ACTIVE')
      FOR UPDATE
    ), changed AS (
      UPDATE certificate c
      SET status = CASE WHEN before.status = 'ISSUED' THEN 'ORPHANED' ELSE 'REVOKING' END::"CertificateStatus",
          orphaned_at = CASE WHEN before.status = 'ISSUED' THEN now() ELSE c.orphaned_at END,
          revoking_at = CASE WHEN before.status = 'ACTIVE' THEN now() ELSE c.revoking_at END,
          ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL,
          private_key_ciphertext = NULL, private_key_wrapped_key = NULL,
          shredded_at = CASE WHEN before.had_key THEN now() ELSE c.shredded_at END
      FROM before WHERE c.id = before.id
      RETURNING c.id::text AS id, c.certificate_id, before.had_key AS shredded
    ), audited AS (
      INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details)
      SELECT ${who.actor}, ${who.origin}, 'certificate.key-shredded', ${device.id}::uuid, ${device.batchId}::uuid,
        jsonb_build_object('certificateId', certificate_id, 'reason', 'unit-failed')
      FROM changed WHERE shredded
    )
    SELECT id, certificate_id, shredded FROM changed`;
  return refsOf(rows);
}

/** A certificate as the maintenance queue works on it. */
export type MaintenanceCertificate = {
  id: string;
  certificateId: string;
  status: string;
  awsSettledAt: Date | null;
  deviceId: string;
  batchId: string;
  serial: string;
  thingName: string | null;
};

export async function loadMaintenanceCertificate(
  prisma: PrismaClient,
  id: string,
): Promise<MaintenanceCertificate | null> {
  const row = await prisma.certificate.findUnique({
    where: { id },
    select: {
      id: true,
      certificateId: true,
      status: true,
      awsSettledAt: true,
      device: { select: { id: true, batchId: true, serial: true, thingName: true } },
    },
  });
  if (!row) return null;
  return {
    id: row.id,
    certificateId: row.certificateId,
    status: row.status,
    awsSettledAt: row.awsSettledAt,
    deviceId: row.device.id,
    batchId: row.device.batchId,
    serial: row.device.serial,
    thingName: row.device.thingName,
  };
}

/** Certificates whose AWS clean-up is still to be done (the maintenance scan), oldest first. */
export async function unsettledCertificates(
  prisma: PrismaClient,
  limit: number,
): Promise<(CertificateRef & { status: string })[]> {
  return prisma.certificate.findMany({
    where: { status: { in: [...AWS_CLEAN_UP_STATUSES] }, awsSettledAt: null },
    orderBy: { createdAt: 'asc' },
    take: limit,
    select: { id: true, certificateId: true, status: true },
  });
}

/**
 * What AWS confirmed, recorded with its audit row in one statement: revokeConfirmed (REVOKING or
 * REVOKED → REVOKED) or an orphan's clean-up (ORPHANED stays ORPHANED). Any key still held is
 * shredded too. False when the certificate changed meanwhile or was already settled.
 */
export async function confirmAwsCleanUp(
  prisma: PrismaClient,
  who: Actor,
  certificate: Pick<MaintenanceCertificate, 'id' | 'deviceId' | 'batchId' | 'certificateId'>,
  outcome: { kind: 'revoked' | 'orphan-cleaned'; details: Record<string, unknown> },
): Promise<boolean> {
  const revoked = outcome.kind === 'revoked';
  const from = revoked ? certificateFromStatuses('revokeConfirmed') : ['ORPHANED'];
  const action = revoked ? 'certificate.revoked-at-aws' : 'certificate.orphan-cleaned-at-aws';
  const details = JSON.stringify({ certificateId: certificate.certificateId, ...outcome.details });
  const rows = await prisma.$queryRaw<{ n: number }[]>`
    WITH changed AS (
      UPDATE certificate
      SET status = CASE WHEN ${revoked} THEN 'REVOKED'::"CertificateStatus" ELSE status END,
          revoked_at = CASE WHEN ${revoked} THEN coalesce(revoked_at, now()) ELSE revoked_at END,
          aws_settled_at = now(),
          private_key_ciphertext = NULL, private_key_wrapped_key = NULL,
          shredded_at = coalesce(shredded_at, CASE WHEN private_key_ciphertext IS NULL THEN NULL ELSE now() END)
      WHERE id = ${certificate.id}::uuid AND aws_settled_at IS NULL
        AND status = ANY(${from}::text[]::"CertificateStatus"[])
      RETURNING id
    ), audited AS (
      INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details)
      SELECT ${who.actor}, ${who.origin}, ${action}, ${certificate.deviceId}::uuid, ${certificate.batchId}::uuid,
        ${details}::jsonb
      FROM changed
    )
    SELECT count(*)::int AS n FROM changed`;
  return rows[0]?.n === 1;
}

/** A maintenance job that could not reach AWS for good (no control plane, denied): audited for operators. */
export async function recordAwsCleanUpBlocked(
  prisma: PrismaClient,
  who: Actor,
  certificate: Pick<MaintenanceCertificate, 'deviceId' | 'batchId' | 'certificateId' | 'status'>,
  failure: { code: string; message: string },
): Promise<void> {
  await prisma.auditEvent.create({
    data: {
      actor: who.actor,
      origin: who.origin,
      action: 'certificate.aws-clean-up-blocked',
      deviceId: certificate.deviceId,
      batchId: certificate.batchId,
      details: {
        certificateId: certificate.certificateId,
        status: certificate.status,
        code: failure.code,
        message: failure.message.slice(0, 500),
      },
    },
  });
}
