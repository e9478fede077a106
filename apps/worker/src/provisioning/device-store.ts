import { randomUUID } from 'node:crypto';
import type { Batch, Certificate, Device } from '@claimline/db';
import type { SealedRecord } from '@claimline/vault';
import type { IssuedCertificate, RegisteredThing } from './claim-port.js';
import type { ProvisionDeps } from './provision-device.js';
import { PermanentProvisioningError, SupersededError } from './provisioning-errors.js';

/**
 * The worker's writes to a device and its certificates: the lease, the fence and the guarded
 * single-statement writes of each step of the flow (docs/worker.md). The flow decides; this persists.
 */

/** States in which there is nothing left to do: a duplicate or late job is a no-op. */
const SETTLED = new Set(['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'CANCELLED', 'FAILED']);

export type DeviceWithBatch = Device & { batch: Batch; certificates: Certificate[] };

/** This attempt's claim on the device: writes and AWS calls go ahead only while it still holds. */
export type Fence = { deviceId: string; attempt: number };

/** A certificate on its way to RegisterThing: its row, AWS id and sealed ownership token. */
export type PendingCertificate = { id: string; certificateId: string; token: SealedRecord };

export type AttemptStart =
  | { kind: 'started'; device: DeviceWithBatch; fence: Fence }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'skipped'; state: string };

type StoreDeps = Pick<ProvisionDeps, 'prisma' | 'actor' | 'origin' | 'leaseMs' | 'tokenTtlMs'>;

/**
 * Takes the device for this attempt in one statement: only if it is still in the pipeline and no
 * other attempt holds a live lease. Counts the attempt; the new count is this attempt's fence.
 */
export async function startAttempt(deps: StoreDeps, deviceId: string, at: Date): Promise<AttemptStart> {
  const lapsedBefore = new Date(at.getTime() - deps.leaseMs);
  const rows = await deps.prisma.$queryRaw<{ attempts: number }[]>`
    UPDATE device
    SET attempts = attempts + 1, claiming_at = ${at}, updated_at = ${at},
        state = CASE WHEN state = 'QUEUED' THEN 'CLAIMING'::"DeviceState" ELSE state END
    WHERE id = ${deviceId}::uuid
      AND (state = 'QUEUED'
        OR (state IN ('CLAIMING', 'CERT_ISSUED') AND (claiming_at IS NULL OR claiming_at < ${lapsedBefore})))
    RETURNING attempts`;
  const attempt = rows[0]?.attempts;
  if (attempt === undefined) {
    const current = await deps.prisma.device.findUnique({
      where: { id: deviceId },
      select: { state: true, claimingAt: true },
    });
    if (current && !SETTLED.has(current.state) && current.claimingAt) {
      return {
        kind: 'busy',
        retryInMs: Math.max(250, current.claimingAt.getTime() + deps.leaseMs - at.getTime()),
      };
    }
    return { kind: 'skipped', state: current?.state ?? 'MISSING' };
  }
  const device = await deps.prisma.device.findUniqueOrThrow({
    // One query with joins instead of one per relation.
    relationLoadStrategy: 'join',
    where: { id: deviceId },
    include: { batch: true, certificates: true },
  });
  return { kind: 'started', device, fence: { deviceId, attempt } };
}

/** Extends the lease before an AWS call; a lost fence stops this run before it talks to AWS again. */
export async function renewLease(deps: StoreDeps, fence: Fence, at: Date): Promise<void> {
  const renewed = await deps.prisma.$executeRaw`
    UPDATE device SET claiming_at = ${at}
    WHERE id = ${fence.deviceId}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')`;
  if (renewed === 0) throw new SupersededError(fence.deviceId);
}

/** After a failure, lets the retry start at once instead of waiting for the lease to lapse. */
export async function releaseLease(deps: StoreDeps, fence: Fence): Promise<void> {
  await deps.prisma.$executeRaw`
    UPDATE device SET claiming_at = NULL
    WHERE id = ${fence.deviceId}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')`;
}

/**
 * Intent before effect: the lease renewed and the certificate marked REGISTERING (with the time), in
 * one fenced statement, *before* RegisterThing is published. From here on, until an answer is
 * recorded, AWS may have registered it: it is resolved, never orphaned, whatever happens to this run.
 */
export async function markRegistering(
  deps: StoreDeps,
  fence: Fence,
  certificate: PendingCertificate,
  at: Date,
): Promise<void> {
  const rows = await deps.prisma.$queryRaw<{ n: number }[]>`
    WITH renewed AS (
      UPDATE device SET claiming_at = ${at}
      WHERE id = ${fence.deviceId}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')
      RETURNING id
    ), marked AS (
      UPDATE certificate SET status = 'REGISTERING', registering_at = ${at}
      WHERE id = ${certificate.id}::uuid AND status IN ('ISSUED', 'REGISTERING') AND EXISTS (SELECT 1 FROM renewed)
      RETURNING id
    )
    SELECT (SELECT count(*)::int FROM marked) AS n`;
  if (rows[0]?.n !== 1) throw new SupersededError(fence.deviceId);
}

/** AWS answered RegisterThing with a rejection that applied nothing (429, a 4xx other than the token). */
export async function markNotRegistered(deps: StoreDeps, certificate: PendingCertificate): Promise<void> {
  await deps.prisma.certificate.updateMany({
    where: { id: certificate.id, status: 'REGISTERING' },
    data: { status: 'ISSUED', registeringAt: null },
  });
}

/** The certificate row as the flow carries it, its sealed token included. */
export function pendingCertificate(certificate: Certificate): PendingCertificate | null {
  const { ownershipTokenCiphertext, ownershipTokenWrappedKey, ownershipTokenKekId, ownershipTokenAlgorithm } =
    certificate;
  if (
    !ownershipTokenCiphertext ||
    !ownershipTokenWrappedKey ||
    !ownershipTokenKekId ||
    !ownershipTokenAlgorithm
  )
    return null;
  return {
    id: certificate.id,
    certificateId: certificate.certificateId,
    token: {
      ciphertext: Buffer.from(ownershipTokenCiphertext),
      wrappedKey: Buffer.from(ownershipTokenWrappedKey),
      kekId: ownershipTokenKekId,
      algorithm: ownershipTokenAlgorithm,
    },
  };
}

/**
 * Certificate (key and token sealed), CERT_ISSUED and the audit event in ONE statement: atomic like
 * a transaction, but one round trip instead of five on the hottest path of the worker.
 */
export async function saveIssuedCertificate(
  deps: StoreDeps & Pick<ProvisionDeps, 'vault'>,
  device: DeviceWithBatch,
  fence: Fence,
  issued: IssuedCertificate & { privateKey: string },
  at: Date,
): Promise<PendingCertificate> {
  const context = { serial: device.serial, certificateId: issued.certificateId };
  const [key, token] = await Promise.all([
    deps.vault.seal({
      plaintext: Buffer.from(issued.privateKey, 'utf8'),
      context: { ...context, purpose: 'private-key' },
    }),
    deps.vault.seal({
      plaintext: Buffer.from(issued.certificateOwnershipToken, 'utf8'),
      context: { ...context, purpose: 'ownership-token' },
    }),
  ]);
  const id = randomUUID();
  const expiresAt = new Date(at.getTime() + deps.tokenTtlMs);
  const details = JSON.stringify({ certificateId: issued.certificateId, mode: device.batch.mode });
  // AWS has issued the certificate whatever happens next, so it is always recorded: ISSUED while this
  // attempt still holds the device, ORPHANED (never to be registered) when a newer attempt took over.
  const rows = await deps.prisma.$queryRaw<{ owned: boolean }[]>`
    WITH owner AS (
      SELECT id FROM device
      WHERE id = ${device.id}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')
      FOR UPDATE
    ), saved AS (
      INSERT INTO certificate (id, certificate_id, device_id, certificate_pem, status, orphaned_at,
        private_key_ciphertext, private_key_wrapped_key, private_key_kek_id, private_key_algorithm,
        ownership_token_ciphertext, ownership_token_wrapped_key, ownership_token_kek_id, ownership_token_algorithm,
        ownership_token_expires_at, created_at)
      VALUES (${id}::uuid, ${issued.certificateId}, ${device.id}::uuid, ${issued.certificatePem},
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN 'ISSUED' ELSE 'ORPHANED' END::"CertificateStatus",
        CASE WHEN EXISTS (SELECT 1 FROM owner) THEN NULL ELSE ${at}::timestamp(3) END,
        ${key.ciphertext}, ${key.wrappedKey}, ${key.kekId}, ${key.algorithm},
        ${token.ciphertext}, ${token.wrappedKey}, ${token.kekId}, ${token.algorithm},
        ${expiresAt}, ${at})
    ), issued AS (
      UPDATE device SET state = 'CERT_ISSUED', cert_issued_at = ${at}, updated_at = ${at}
      WHERE id IN (SELECT id FROM owner)
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES (${deps.actor}, ${deps.origin},
      CASE WHEN EXISTS (SELECT 1 FROM owner) THEN 'certificate.issued' ELSE 'certificate.orphaned' END,
      ${device.id}::uuid, ${device.batchId}::uuid, ${details}::jsonb, ${at})
    RETURNING EXISTS (SELECT 1 FROM owner) AS owned`;
  if (!rows[0]?.owned) throw new SupersededError(device.id);
  return { id, certificateId: issued.certificateId, token };
}

/** How the registration became known: AWS's answer, or a connect probe after the answer was lost. */
export type RegistrationEvidence = 'answer' | 'connect-probe';

/** Certificate ACTIVE (spent token shredded), device REGISTERED and the audit event, in one statement. */
export async function saveRegistration(
  deps: StoreDeps,
  device: DeviceWithBatch,
  certificate: Pick<PendingCertificate, 'id' | 'certificateId'>,
  thing: RegisteredThing,
  evidence: RegistrationEvidence,
  at: Date,
): Promise<void> {
  const configuration = JSON.stringify(thing.deviceConfiguration);
  const details = JSON.stringify({
    thingName: thing.thingName,
    certificateId: certificate.certificateId,
    evidence,
  });
  // AWS has activated the certificate: record it unless the device was registered by another run
  // meanwhile (only possible if this run outlived its lease); that conflict is left loud for an operator.
  const rows = await deps.prisma.$queryRaw<{ n: number }[]>`
    WITH owner AS (
      SELECT id FROM device WHERE id = ${device.id}::uuid AND state IN ('CLAIMING', 'CERT_ISSUED') FOR UPDATE
    ), activated AS (
      UPDATE certificate
      SET status = 'ACTIVE', activated_at = ${at}, ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL
      WHERE id = ${certificate.id}::uuid AND status IN ('ISSUED', 'REGISTERING') AND EXISTS (SELECT 1 FROM owner)
      RETURNING id
    ), registered AS (
      UPDATE device
      SET state = 'REGISTERED', registered_at = ${at}, updated_at = ${at}, thing_name = ${thing.thingName},
          device_configuration = ${configuration}::jsonb,
          last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL
      WHERE id IN (SELECT id FROM owner) AND EXISTS (SELECT 1 FROM activated)
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES (${deps.actor}, ${deps.origin},
      CASE WHEN EXISTS (SELECT 1 FROM activated) THEN 'device.registered' ELSE 'certificate.active-unrecorded' END,
      ${device.id}::uuid, ${device.batchId}::uuid, ${details}::jsonb, ${at})
    RETURNING (SELECT count(*)::int FROM activated) AS n`;
  if (rows[0]?.n !== 1) {
    throw new PermanentProvisioningError(
      'RegistrationConflict',
      `certificate ${certificate.certificateId} was activated by AWS but the device was registered by another run; revoke it`,
    );
  }
}

/**
 * A certificate AWS will never register: its token expired before RegisterThing was sent (ISSUED), or
 * AWS refused the token on its first send (REGISTERING, but nothing of ours spent it).
 */
export async function orphan(deps: StoreDeps, certificateRowId: string, at: Date): Promise<void> {
  await deps.prisma.certificate.updateMany({
    where: { id: certificateRowId, status: { in: ['ISSUED', 'REGISTERING'] } },
    data: {
      status: 'ORPHANED',
      orphanedAt: at,
      ownershipTokenCiphertext: null,
      ownershipTokenWrappedKey: null,
    },
  });
}
