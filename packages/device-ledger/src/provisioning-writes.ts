import { randomUUID } from 'node:crypto';
import { rawSqlOf, type Certificate, type PrismaClient } from '@claimline/db';
import type { Actor } from './audit-log.js';
import { SETTLED, fromStates } from './device-states.js';
import { FencedOut, RegistrationConflict } from './ledger-errors.js';
import { LOADED_DEVICE_COLUMNS, loadedDevice, type DeviceWithBatch } from './loaded-device.js';
import { sealedTokenOf, type Sealed } from './sealed-columns.js';
import { orphanCertificate } from './certificate-writes.js';

/**
 * The provisioning worker's writes: the device lease, the fence, and one guarded statement per step
 * of the claim flow (docs/worker.md). The flow decides; this persists, each step with its audit row.
 * The statements of a normal run go through `rawSqlOf` (the client's own pg pool): on two cores the
 * worker is CPU-bound, and Prisma's own cost per query was most of its work per device.
 */

/** States an attempt holds a device in, between taking it and registering it. */
const HELD = fromStates('certificateIssued');
/** States a lease may hold: the claim flow's, and the verification's. */
const LEASED = fromStates('claim').filter((state) => state !== 'QUEUED');

export type { DeviceWithBatch } from './loaded-device.js';

/** This attempt's claim on the device: writes and AWS calls go ahead only while it still holds. */
export type Fence = { deviceId: string; attempt: number };

/** A certificate on its way to RegisterThing: its row, AWS id and sealed ownership token. */
export type PendingCertificate = { id: string; certificateId: string; token: Sealed };

/** What the worker's writes need: the database, who acts, and the lease and token lifetimes. */
export type ProvisioningLedger = { prisma: PrismaClient; who: Actor; leaseMs: number; tokenTtlMs: number };

export type AttemptStart =
  | { kind: 'started'; device: DeviceWithBatch; fence: Fence }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'skipped'; state: string };

/**
 * Takes the device for this attempt in one statement: only if it is still in the pipeline and no
 * other attempt holds a live lease. Counts the attempt; the new count is this attempt's fence. The
 * same statement returns the device with its batch and certificates (one row per certificate).
 */
export async function startAttempt(
  deps: ProvisioningLedger,
  deviceId: string,
  at: Date,
): Promise<AttemptStart> {
  const lapsedBefore = new Date(at.getTime() - deps.leaseMs);
  const rows = await rawSqlOf(deps.prisma)<Record<string, unknown>>(
    `WITH taken AS (
      UPDATE device
      SET attempts = attempts + 1, claiming_at = $2, updated_at = $2,
          state = CASE WHEN state = 'QUEUED' THEN 'CLAIMING'::"DeviceState" ELSE state END
      WHERE id = $1::uuid
        AND (state = 'QUEUED'
          OR (state = ANY($3::text[]::"DeviceState"[]) AND (claiming_at IS NULL OR claiming_at < $4)))
      RETURNING *
    )
    SELECT ${LOADED_DEVICE_COLUMNS}
    FROM taken d JOIN batch b ON b.id = d.batch_id LEFT JOIN certificate c ON c.device_id = d.id
    ORDER BY c.created_at, c.id`,
    [deviceId, at, LEASED, lapsedBefore],
  );
  const device = loadedDevice(rows);
  if (device === null) {
    const current = await deps.prisma.device.findUnique({
      where: { id: deviceId },
      select: { state: true, claimingAt: true },
    });
    if (current && !SETTLED.includes(current.state) && current.claimingAt) {
      return {
        kind: 'busy',
        retryInMs: Math.max(250, current.claimingAt.getTime() + deps.leaseMs - at.getTime()),
      };
    }
    return { kind: 'skipped', state: current?.state ?? 'MISSING' };
  }
  return { kind: 'started', device, fence: { deviceId, attempt: device.attempts } };
}

/** Extends the lease before an AWS call; a lost fence stops this run before it talks to AWS again. */
export async function renewLease(deps: ProvisioningLedger, fence: Fence, at: Date): Promise<void> {
  const renewed = await rawSqlOf(deps.prisma)(
    `UPDATE device SET claiming_at = $1
     WHERE id = $2::uuid AND attempts = $3 AND state = ANY($4::text[]::"DeviceState"[])
     RETURNING 1`,
    [at, fence.deviceId, fence.attempt, LEASED],
  );
  if (renewed.length === 0) throw new FencedOut(fence.deviceId);
}

/** After a failure, lets the retry start at once instead of waiting for the lease to lapse. */
export async function releaseLease(deps: ProvisioningLedger, fence: Fence): Promise<void> {
  await rawSqlOf(deps.prisma)(
    `UPDATE device SET claiming_at = NULL
     WHERE id = $1::uuid AND attempts = $2 AND state = ANY($3::text[]::"DeviceState"[])`,
    [fence.deviceId, fence.attempt, LEASED],
  );
}

/**
 * Intent before effect: the lease renewed and the certificate marked REGISTERING (with the time), in
 * one fenced statement, *before* RegisterThing is published. From here on, until an answer is
 * recorded, AWS may have registered it: it is resolved, never orphaned, whatever happens to this run.
 */
export async function markRegistering(
  deps: ProvisioningLedger,
  fence: Fence,
  certificate: PendingCertificate,
  at: Date,
): Promise<void> {
  const rows = await rawSqlOf(deps.prisma)<{ n: number }>(
    `WITH renewed AS (
      UPDATE device SET claiming_at = $1
      WHERE id = $2::uuid AND attempts = $3 AND state = ANY($4::text[]::"DeviceState"[])
      RETURNING id
    ), marked AS (
      UPDATE certificate SET status = 'REGISTERING', registering_at = $1
      WHERE id = $5::uuid AND status IN ('ISSUED', 'REGISTERING') AND EXISTS (SELECT 1 FROM renewed)
      RETURNING id
    )
    SELECT (SELECT count(*)::int FROM marked) AS n`,
    [at, fence.deviceId, fence.attempt, HELD, certificate.id],
  );
  if (rows[0]?.n !== 1) throw new FencedOut(fence.deviceId);
}

/** AWS answered RegisterThing with a rejection that applied nothing (429, a 4xx other than the token). */
export async function markNotRegistered(
  deps: ProvisioningLedger,
  certificate: PendingCertificate,
): Promise<void> {
  await deps.prisma.certificate.updateMany({
    where: { id: certificate.id, status: 'REGISTERING' },
    data: { status: 'ISSUED', registeringAt: null },
  });
}

/** The certificate row as the flow carries it, its sealed token included. */
export function pendingCertificate(certificate: Certificate): PendingCertificate | null {
  const token = sealedTokenOf(certificate);
  return token ? { id: certificate.id, certificateId: certificate.certificateId, token } : null;
}

/**
 * Certificate (key and token sealed), CERT_ISSUED and the audit event in ONE statement: atomic like
 * a transaction, but one round trip instead of five on the hottest path of the worker.
 */
export async function saveIssuedCertificate(
  deps: ProvisioningLedger,
  device: DeviceWithBatch,
  fence: Fence,
  /** `key` is null for a unit that holds its own key (device-csr): nothing is stored for it. */
  issued: { certificateId: string; certificatePem: string; key: Sealed | null; token: Sealed },
  at: Date,
): Promise<PendingCertificate> {
  const { key, token } = issued;
  const id = randomUUID();
  const expiresAt = new Date(at.getTime() + deps.tokenTtlMs);
  const details = JSON.stringify({ certificateId: issued.certificateId, mode: device.batch.mode });
  // AWS has issued the certificate whatever happens next, so it is always recorded: ISSUED while this
  // attempt still holds the device, ORPHANED (never to be registered) when a newer attempt took over;
  // an orphan's key and token are never stored (nothing to shred later).
  const rows = await rawSqlOf(deps.prisma)<{ owned: boolean }>(
    `WITH owner AS (
      SELECT id FROM device
      WHERE id = $2::uuid AND attempts = $3 AND state = ANY($4::text[]::"DeviceState"[])
      FOR UPDATE
    ), saved AS (
      INSERT INTO certificate (id, certificate_id, device_id, certificate_pem, status, orphaned_at,
        private_key_ciphertext, private_key_wrapped_key, private_key_kek_id, private_key_algorithm,
        ownership_token_ciphertext, ownership_token_wrapped_key, ownership_token_kek_id, ownership_token_algorithm,
        ownership_token_expires_at, created_at)
      VALUES ($5::uuid, $6, $2::uuid, $7,
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN 'ISSUED' ELSE 'ORPHANED' END::"CertificateStatus",
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN NULL ELSE $1::timestamp(3) END,
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN $8::bytea END,
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN $9::bytea END,
        $10, $11,
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN $12::bytea END,
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN $13::bytea END,
        $14, $15, $16, $1)
    ), issued AS (
      UPDATE device SET state = 'CERT_ISSUED', cert_issued_at = $1, updated_at = $1
      WHERE id IN (SELECT id FROM owner)
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES ($17, $18,
      CASE WHEN EXISTS (SELECT 1 FROM owner) THEN 'certificate.issued' ELSE 'certificate.orphaned' END,
      $2::uuid, $19::uuid, $20::jsonb, $1)
    RETURNING EXISTS (SELECT 1 FROM owner) AS owned`,
    [
      at,
      device.id,
      fence.attempt,
      HELD,
      id,
      issued.certificateId,
      issued.certificatePem,
      key?.ciphertext ?? null,
      key?.wrappedKey ?? null,
      key?.kekId ?? null,
      key?.algorithm ?? null,
      token.ciphertext,
      token.wrappedKey,
      token.kekId,
      token.algorithm,
      expiresAt,
      deps.who.actor,
      deps.who.origin,
      device.batchId,
      details,
    ],
  );
  if (!rows[0]?.owned) throw new FencedOut(device.id);
  return { id, certificateId: issued.certificateId, token };
}

/** How the registration became known: AWS's answer, or (the answer lost) the control plane or a connect probe. */
export type RegistrationEvidence = 'answer' | 'connect-probe' | 'control-plane';

/** Certificate ACTIVE (spent token shredded), device REGISTERED and the audit event, in one statement. */
export async function saveRegistration(
  deps: ProvisioningLedger,
  device: DeviceWithBatch,
  certificate: Pick<PendingCertificate, 'id' | 'certificateId'>,
  thing: { thingName: string; deviceConfiguration: Record<string, string> },
  evidence: RegistrationEvidence,
  at: Date,
  /** Leave it VERIFYING (its verification CONNECT pending) instead of REGISTERED. */
  verifyNext = false,
): Promise<void> {
  const configuration = JSON.stringify(thing.deviceConfiguration);
  const state = verifyNext ? 'VERIFYING' : 'REGISTERED';
  const details = JSON.stringify({
    thingName: thing.thingName,
    certificateId: certificate.certificateId,
    evidence,
  });
  // AWS has activated the certificate: record it unless the device was registered by another run
  // meanwhile (only possible if this run outlived its lease); that conflict is left loud for an operator.
  const rows = await rawSqlOf(deps.prisma)<{ n: number }>(
    `WITH owner AS (
      SELECT id FROM device WHERE id = $2::uuid AND state = ANY($3::text[]::"DeviceState"[]) FOR UPDATE
    ), activated AS (
      UPDATE certificate
      SET status = 'ACTIVE', activated_at = $1, ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL
      WHERE id = $4::uuid AND status IN ('ISSUED', 'REGISTERING') AND EXISTS (SELECT 1 FROM owner)
      RETURNING id
    ), registered AS (
      UPDATE device
      SET state = $5::"DeviceState", registered_at = $1, updated_at = $1, thing_name = $6,
          device_configuration = $7::jsonb,
          last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL
      WHERE id IN (SELECT id FROM owner) AND EXISTS (SELECT 1 FROM activated)
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES ($8, $9,
      CASE WHEN EXISTS (SELECT 1 FROM activated) THEN 'device.registered' ELSE 'certificate.active-unrecorded' END,
      $2::uuid, $10::uuid, $11::jsonb, $1)
    RETURNING (SELECT count(*)::int FROM activated) AS n`,
    [
      at,
      device.id,
      HELD,
      certificate.id,
      state,
      thing.thingName,
      configuration,
      deps.who.actor,
      deps.who.origin,
      device.batchId,
      details,
    ],
  );
  if (rows[0]?.n !== 1) {
    throw new RegistrationConflict(certificate.certificateId);
  }
}

/**
 * The verification CONNECT's verdict: VERIFYING → REGISTERED, or → VERIFY_FAILED with the reason
 * (a unit whose certificate or policy does not let it connect as its thing never reaches a station).
 */
export async function saveVerification(
  deps: ProvisioningLedger,
  device: { id: string; batchId: string },
  fence: Fence,
  verdict: { connected: true; evidence: 'connect' | 'no-key' } | { connected: false; reason: string },
  at: Date,
): Promise<void> {
  const details = JSON.stringify(verdict);
  const failed = !verdict.connected;
  const reason = verdict.connected ? null : verdict.reason.slice(0, 1_000);
  const rows = await deps.prisma.$queryRaw<{ n: number }[]>`
    WITH changed AS (
      UPDATE device
      SET state = ${failed ? 'VERIFY_FAILED' : 'REGISTERED'}::"DeviceState", updated_at = ${at}, claiming_at = NULL,
          verify_failed_at = ${failed ? at : null},
          last_error_code = ${failed ? 'VerifyConnectRefused' : null}, last_error_message = ${reason},
          last_error_retryable = ${failed ? false : null}
      WHERE id = ${device.id}::uuid AND attempts = ${fence.attempt} AND state = 'VERIFYING'
      RETURNING id
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    SELECT ${deps.who.actor}, ${deps.who.origin}, ${failed ? 'device.verify-failed' : 'device.verified'},
      ${device.id}::uuid, ${device.batchId}::uuid, ${details}::jsonb, ${at}
    FROM changed
    RETURNING 1 AS n`;
  if (rows.length !== 1) throw new FencedOut(device.id);
}

/**
 * A certificate AWS will never register: its token expired before RegisterThing was sent (ISSUED), or
 * AWS refused the token on its first send (REGISTERING, but nothing of ours spent it). Its token and
 * key are shredded in the same statement (certificate-writes.ts).
 */
export async function orphan(deps: ProvisioningLedger, certificateRowId: string, at: Date): Promise<void> {
  await orphanCertificate(deps.prisma, deps.who, certificateRowId, at, 'orphaned');
}
