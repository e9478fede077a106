import type { Certificate, Device, Batch, PrismaClient } from '@claimline/db';
import type { SealedRecord, Vault } from '@claimline/vault';
import { randomUUID } from 'node:crypto';
import type { ClaimGateway, ClaimSession, IssuedCertificate, KeyAlgorithm, PayloadFormat } from './claim-port.js';
import { markBatchFinishedIfDone } from './batch-completion.js';
import { PermanentProvisioningError, TokenExpiredError } from './provisioning-errors.js';

/**
 * Provisions one device: the whole claim flow for one serial, crash-safe at every step.
 *
 *   QUEUED → CLAIMING → (certificate + sealed key + sealed token committed) CERT_ISSUED → REGISTERED
 *
 * The certificate, its key and its ownership token are committed *before* RegisterThing, so a crash
 * between the two calls loses nothing: the next attempt finds the saved certificate and, while its
 * token is still valid, registers it instead of creating a second one. A token that expired unused
 * leaves an ORPHANED certificate (AWS deletes it; we keep the record).
 */

/** States in which there is nothing left to do: a duplicate or late job is a no-op. */
const SETTLED = new Set(['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED', 'CANCELLED', 'FAILED']);

/** A token this close to expiry is not worth a RegisterThing that might outlive it. */
const TOKEN_SAFETY_MARGIN_MS = 60_000;

export type ProvisionOutcome =
  | { kind: 'registered'; thingName: string; certificateId: string; reusedCertificate: boolean }
  | { kind: 'skipped'; state: string };

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
  timeStep?: StepTimer;
  /** Fault injection for the crash-safety tests and chaos runs: called once the certificate is saved. */
  afterCertificateSaved?: (serial: string) => void;
  now?: () => Date;
};

type DeviceWithBatch = Device & { batch: Batch; certificates: Certificate[] };

/** A certificate waiting for RegisterThing: its row, AWS id and sealed ownership token. */
type PendingCertificate = { id: string; certificateId: string; token: SealedRecord };

const FORMAT: Record<Batch['payloadFormat'], PayloadFormat> = { JSON: 'json', CBOR: 'cbor' };
const KEY_ALGORITHM: Record<Batch['keyAlgorithm'], KeyAlgorithm> = { EC_P256: 'ec-p256', RSA_2048: 'rsa-2048' };

export async function provisionDevice(deps: ProvisionDeps, deviceId: string): Promise<ProvisionOutcome> {
  const now = deps.now ?? (() => new Date());
  const time: StepTimer = deps.timeStep ?? ((_step, run) => run());

  const device = await startAttempt(deps, deviceId, now());
  if (device === null) {
    const current = await deps.prisma.device.findUnique({ where: { id: deviceId }, select: { state: true } });
    return { kind: 'skipped', state: current?.state ?? 'MISSING' };
  }

  const format = FORMAT[device.batch.payloadFormat];
  return deps.claims.withSession(async (session) => {
    let certificate = await reusableCertificate(deps, device, now());
    const reused = certificate !== null;
    if (certificate === null) {
      const issued = await issueCertificate(deps, session, device, format, time);
      certificate = await time('persist', () => saveIssuedCertificate(deps, device, issued, now()));
      deps.afterCertificateSaved?.(device.serial);
    }
    const token = await openToken(deps, device.serial, certificate);
    const parameters = templateParameters(device, deps.serialParameter);
    let thing;
    try {
      thing = await time('register', () =>
        session.registerThing(device.batch.templateName, token, parameters, format),
      );
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
  });
}

/** Claims the device for this attempt unless it is settled; counts the attempt. */
async function startAttempt(deps: ProvisionDeps, deviceId: string, at: Date): Promise<DeviceWithBatch | null> {
  // One statement (one round trip) for the check, the attempt count and QUEUED → CLAIMING.
  const claimed = await deps.prisma.$executeRaw`
    UPDATE device
    SET attempts = attempts + 1, claiming_at = ${at}, updated_at = ${at},
        state = CASE WHEN state = 'QUEUED' THEN 'CLAIMING'::"DeviceState" ELSE state END
    WHERE id = ${deviceId}::uuid AND state IN ('QUEUED', 'CLAIMING', 'CERT_ISSUED')`;
  if (claimed === 0) return null;
  const device = await deps.prisma.device.findUniqueOrThrow({
    // One query with joins instead of one per relation.
    relationLoadStrategy: 'join',
    where: { id: deviceId },
    include: { batch: true, certificates: true },
  });
  return SETTLED.has(device.state) ? null : device;
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
  await deps.prisma.$executeRaw`
    WITH saved AS (
      INSERT INTO certificate (id, certificate_id, device_id, certificate_pem, status,
        private_key_ciphertext, private_key_wrapped_key, private_key_kek_id, private_key_algorithm,
        ownership_token_ciphertext, ownership_token_wrapped_key, ownership_token_kek_id, ownership_token_algorithm,
        ownership_token_expires_at, created_at)
      VALUES (${id}::uuid, ${issued.certificateId}, ${device.id}::uuid, ${issued.certificatePem}, 'ISSUED',
        ${key.ciphertext}, ${key.wrappedKey}, ${key.kekId}, ${key.algorithm},
        ${token.ciphertext}, ${token.wrappedKey}, ${token.kekId}, ${token.algorithm},
        ${expiresAt}, ${at})
      RETURNING device_id
    ), issued AS (
      UPDATE device SET state = 'CERT_ISSUED', cert_issued_at = ${at}, updated_at = ${at}
      WHERE id = (SELECT device_id FROM saved)
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES (${deps.actor}, ${deps.origin}, 'certificate.issued', ${device.id}::uuid, ${device.batchId}::uuid,
      ${details}::jsonb, ${at})`;
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
  await deps.prisma.$executeRaw`
    WITH activated AS (
      UPDATE certificate
      SET status = 'ACTIVE', activated_at = ${at}, ownership_token_ciphertext = NULL, ownership_token_wrapped_key = NULL
      WHERE id = ${certificate.id}::uuid
    ), registered AS (
      UPDATE device
      SET state = 'REGISTERED', registered_at = ${at}, updated_at = ${at}, thing_name = ${thing.thingName},
          device_configuration = ${configuration}::jsonb,
          last_error_code = NULL, last_error_message = NULL, last_error_retryable = NULL
      WHERE id = ${device.id}::uuid
    )
    INSERT INTO audit_event (actor, origin, action, device_id, batch_id, details, at)
    VALUES (${deps.actor}, ${deps.origin}, 'device.registered', ${device.id}::uuid, ${device.batchId}::uuid,
      ${details}::jsonb, ${at})`;
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
