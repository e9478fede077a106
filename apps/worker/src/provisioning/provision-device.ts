import type { Certificate, Device, Batch, PrismaClient } from '@claimline/db';
import type { SealedRecord, Vault } from '@claimline/vault';
import { randomUUID } from 'node:crypto';
import type { ClaimGateway, ClaimSession, IssuedCertificate, KeyAlgorithm, PayloadFormat } from './claim-port.js';
import { markBatchFinishedIfDone } from './batch-completion.js';
import { PermanentProvisioningError, SupersededError, TokenExpiredError } from './provisioning-errors.js';

/**
 * Provisions one device: the whole claim flow for one serial, crash-safe at every step.
 *
 *   QUEUED → CLAIMING → (certificate + sealed key + sealed token committed) CERT_ISSUED → REGISTERED
 *
 * The certificate, its key and its ownership token are committed *before* RegisterThing, so a crash
 * between the two calls loses nothing: the next attempt finds the saved certificate and, while its
 * token is still valid, registers it instead of creating a second one. A token that expired unused
 * leaves an ORPHANED certificate (AWS deletes it; we keep the record).
 *
 * One flow per device at a time, even when the queue runs a job twice (a worker whose lock lapsed
 * during a Redis restart or a CPU stall is still running when another takes the job over): an attempt
 * takes a *lease* on the device (`claiming_at`, renewed before every AWS call) and is *fenced* by its
 * attempt number. A second run finding a live lease waits for it (`busy`); a run whose fence was taken
 * stops before its next AWS call (`superseded`) and never overwrites what the newer run wrote.
 */

/** States in which there is nothing left to do: a duplicate or late job is a no-op. */
const SETTLED = new Set(['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'CANCELLED', 'FAILED']);

/** A token this close to expiry is not worth a RegisterThing that might outlive it. */
const TOKEN_SAFETY_MARGIN_MS = 60_000;

export type ProvisionOutcome =
  | { kind: 'registered'; thingName: string; certificateId: string; reusedCertificate: boolean }
  | { kind: 'skipped'; state: string }
  /** Another run holds the device's lease: try again once it may have lapsed. */
  | { kind: 'busy'; retryInMs: number };

export type StepTimer = <T>(step: 'create' | 'register' | 'persist' | 'keygen', run: () => Promise<T>) => Promise<T>;

export type ProvisionDeps = {
  prisma: PrismaClient;
  vault: Vault;
  claims: ClaimGateway;
  /** Who acts, for the audit log: `worker:<host>-<pid>`. */
  actor: string;
  origin: string;
  /** Template parameter that receives the serial number. */
  serialParameter: string;
  tokenTtlMs: number;
  /** How long an attempt owns a device without renewing; longer than any one AWS call with its quota wait. */
  leaseMs: number;
  timeStep?: StepTimer;
  /** Fault injection for the crash-safety tests and chaos runs: called once the certificate is saved. */
  afterCertificateSaved?: (serial: string) => void;
  now?: () => Date;
};

type DeviceWithBatch = Device & { batch: Batch; certificates: Certificate[] };

/** This attempt's claim on the device: writes and AWS calls go ahead only while it still holds. */
type Fence = { deviceId: string; attempt: number };

/** A certificate waiting for RegisterThing: its row, AWS id and sealed ownership token. */
type PendingCertificate = { id: string; certificateId: string; token: SealedRecord };

const FORMAT: Record<Batch['payloadFormat'], PayloadFormat> = { JSON: 'json', CBOR: 'cbor' };
const KEY_ALGORITHM: Record<Batch['keyAlgorithm'], KeyAlgorithm> = { EC_P256: 'ec-p256', RSA_2048: 'rsa-2048' };

export async function provisionDevice(deps: ProvisionDeps, deviceId: string): Promise<ProvisionOutcome> {
  const now = deps.now ?? (() => new Date());
  const time: StepTimer = deps.timeStep ?? ((_step, run) => run());

  // The connection first, then the lease: waiting for a free connection must not eat into the lease.
  return deps.claims.withSession(async (session) => {
    const attempt = await startAttempt(deps, deviceId, now());
    if (attempt.kind !== 'started') return attempt.outcome;
    const { device, fence } = attempt;
    try {
      return await runFlow(deps, session, device, fence, time, now);
    } catch (error) {
      if (error instanceof SupersededError) return { kind: 'skipped', state: 'SUPERSEDED' };
      await releaseLease(deps, fence);
      throw error;
    }
  });
}

async function runFlow(
  deps: ProvisionDeps,
  session: ClaimSession,
  device: DeviceWithBatch,
  fence: Fence,
  time: StepTimer,
  now: () => Date,
): Promise<ProvisionOutcome> {
  const format = FORMAT[device.batch.payloadFormat];
  let certificate = await reusableCertificate(deps, device, now());
  const reused = certificate !== null;
  if (certificate === null) {
    await renewLease(deps, fence, now());
    const issued = await issueCertificate(deps, session, device, format, time);
    certificate = await time('persist', () => saveIssuedCertificate(deps, device, fence, issued, now()));
    deps.afterCertificateSaved?.(device.serial);
  }
  const token = await openToken(deps, device.serial, certificate);
  const parameters = templateParameters(device, deps.serialParameter);
  await renewLease(deps, fence, now());
  let thing;
  try {
    thing = await time('register', () => session.registerThing(device.batch.templateName, token, parameters, format));
  } catch (error) {
    if (isTokenRejection(error)) {
      await orphan(deps, certificate.id, now());
      throw new TokenExpiredError(certificate.certificateId);
    }
    throw error;
  }
  await time('persist', () => saveRegistration(deps, device, certificate, thing, now()));
  await markBatchFinishedIfDone(deps.prisma, device.batchId);
  return {
    kind: 'registered',
    thingName: thing.thingName,
    certificateId: certificate.certificateId,
    reusedCertificate: reused,
  };
}

type AttemptStart =
  | { kind: 'started'; device: DeviceWithBatch; fence: Fence }
  | { kind: 'not-started'; outcome: ProvisionOutcome };

/**
 * Takes the device for this attempt in one statement: only if it is still in the pipeline and no
 * other attempt holds a live lease. Counts the attempt; the new count is this attempt's fence.
 */
async function startAttempt(deps: ProvisionDeps, deviceId: string, at: Date): Promise<AttemptStart> {
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
    const current = await deps.prisma.device.findUnique({ where: { id: deviceId }, select: { state: true, claimingAt: true } });
    if (current && !SETTLED.has(current.state) && current.claimingAt) {
      const retryInMs = Math.max(250, current.claimingAt.getTime() + deps.leaseMs - at.getTime());
      return { kind: 'not-started', outcome: { kind: 'busy', retryInMs } };
    }
    return { kind: 'not-started', outcome: { kind: 'skipped', state: current?.state ?? 'MISSING' } };
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
async function renewLease(deps: ProvisionDeps, fence: Fence, at: Date): Promise<void> {
  const renewed = await deps.prisma.$executeRaw`
    UPDATE device SET claiming_at = ${at}
    WHERE id = ${fence.deviceId}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')`;
  if (renewed === 0) throw new SupersededError(fence.deviceId);
}

/** After a failure, lets the retry start at once instead of waiting for the lease to lapse. */
async function releaseLease(deps: ProvisionDeps, fence: Fence): Promise<void> {
  await deps.prisma.$executeRaw`
    UPDATE device SET claiming_at = NULL
    WHERE id = ${fence.deviceId}::uuid AND attempts = ${fence.attempt} AND state IN ('CLAIMING', 'CERT_ISSUED')`;
}

/** A saved, never-registered certificate whose ownership token is still good. Expired ones are orphaned. */
async function reusableCertificate(deps: ProvisionDeps, device: DeviceWithBatch, at: Date): Promise<PendingCertificate | null> {
  let reusable: PendingCertificate | null = null;
  for (const certificate of device.certificates) {
    if (certificate.status !== 'ISSUED') continue;
    const expiresAt = certificate.ownershipTokenExpiresAt?.getTime() ?? 0;
    if (expiresAt - TOKEN_SAFETY_MARGIN_MS > at.getTime() && certificate.ownershipTokenCiphertext && !reusable) {
      reusable = {
        id: certificate.id,
        certificateId: certificate.certificateId,
        token: {
          ciphertext: Buffer.from(certificate.ownershipTokenCiphertext),
          wrappedKey: Buffer.from(certificate.ownershipTokenWrappedKey!),
          kekId: certificate.ownershipTokenKekId!,
          algorithm: certificate.ownershipTokenAlgorithm!,
        },
      };
    } else {
      await orphan(deps, certificate.id, at);
    }
  }
  return reusable;
}

async function issueCertificate(
  deps: ProvisionDeps,
  session: ClaimSession,
  device: DeviceWithBatch,
  format: PayloadFormat,
  time: StepTimer,
): Promise<IssuedCertificate & { privateKey: string }> {
  if (device.batch.mode === 'CREATE_KEYS') {
    const issued = await time('create', () => session.createKeysAndCertificate(format));
    if (!issued.privateKey) throw new PermanentProvisioningError('MissingPrivateKey', 'CreateKeysAndCertificate returned no private key');
    return { ...issued, privateKey: issued.privateKey };
  }
  const { privateKeyPem, csrPem } = await time('keygen', () =>
    deps.claims.generateKeyAndCsr(KEY_ALGORITHM[device.batch.keyAlgorithm], device.serial),
  );
  const issued = await time('create', () => session.createCertificateFromCsr(csrPem, format));
  return { ...issued, privateKey: privateKeyPem };
}

/**
 * Certificate (key and token sealed), CERT_ISSUED and the audit event in ONE statement: atomic like
 * a transaction, but one round trip instead of five on the hottest path of the worker.
 */
async function saveIssuedCertificate(
  deps: ProvisionDeps,
  device: DeviceWithBatch,
  fence: Fence,
  issued: IssuedCertificate & { privateKey: string },
  at: Date,
): Promise<PendingCertificate> {
  const context = { serial: device.serial, certificateId: issued.certificateId };
  const [key, token] = await Promise.all([
    deps.vault.seal({ plaintext: Buffer.from(issued.privateKey, 'utf8'), context: { ...context, purpose: 'private-key' } }),
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

async function openToken(deps: ProvisionDeps, serial: string, certificate: PendingCertificate): Promise<string> {
  const plaintext = await deps.vault.open(certificate.token, {
    serial,
    certificateId: certificate.certificateId,
    purpose: 'ownership-token',
  });
  return plaintext.toString('utf8');
}

function templateParameters(device: DeviceWithBatch, serialParameter: string): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of [device.batch.templateParameters, device.parameters]) {
    if (source && typeof source === 'object' && !Array.isArray(source)) {
      for (const [name, value] of Object.entries(source)) merged[name] = String(value);
    }
  }
  merged[serialParameter] = device.serial;
  return merged;
}

/** Certificate ACTIVE (spent token shredded), device REGISTERED and the audit event, in one statement. */
async function saveRegistration(
  deps: ProvisionDeps,
  device: DeviceWithBatch,
  certificate: PendingCertificate,
  thing: { thingName: string; deviceConfiguration: Record<string, string> },
  at: Date,
): Promise<void> {
  const configuration = JSON.stringify(thing.deviceConfiguration);
  const details = JSON.stringify({ thingName: thing.thingName, certificateId: certificate.certificateId });
  // AWS has activated the certificate: record it unless the device was registered by another run
  // meanwhile (only possible if this run outlived its lease); that conflict is left loud for an operator.
  const rows = await deps.prisma.$queryRaw<{ n: number }[]>`
    WITH owner AS (
      SELECT id FROM device WHERE id = ${device.id}::uuid AND state IN ('CLAIMING', 'CERT_ISSUED') FOR UPDATE
    ), activated AS (
      UPDATE certificate
      SET status = 'ACTIVE', activated_at = ${at}, ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL
      WHERE id = ${certificate.id}::uuid AND status = 'ISSUED' AND EXISTS (SELECT 1 FROM owner)
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

async function orphan(deps: ProvisionDeps, certificateRowId: string, at: Date): Promise<void> {
  await deps.prisma.certificate.updateMany({
    where: { id: certificateRowId, status: 'ISSUED' },
    data: { status: 'ORPHANED', orphanedAt: at, ownershipTokenCiphertext: null, ownershipTokenWrappedKey: null },
  });
}

function isTokenRejection(error: unknown): boolean {
  return (error as { errorCode?: string })?.errorCode === 'InvalidCertificateOwnershipToken';
}
