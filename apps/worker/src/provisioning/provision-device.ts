import type { Certificate, Device, Batch, PrismaClient } from '@claimline/db';
import type { Vault } from '@claimline/vault';
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
    where: { id: deviceId },
    include: { batch: true, certificates: true },
  });
  return SETTLED.has(device.state) ? null : device;
}

/** A saved, never-registered certificate whose ownership token is still good. Expired ones are orphaned. */
async function reusableCertificate(deps: ProvisionDeps, device: DeviceWithBatch, at: Date): Promise<Certificate | null> {
  let reusable: Certificate | null = null;
  for (const certificate of device.certificates) {
    if (certificate.status !== 'ISSUED') continue;
    const expiresAt = certificate.ownershipTokenExpiresAt?.getTime() ?? 0;
    if (expiresAt - TOKEN_SAFETY_MARGIN_MS > at.getTime() && certificate.ownershipTokenCiphertext && !reusable) {
      reusable = certificate;
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

async function saveIssuedCertificate(
  deps: ProvisionDeps,
  device: DeviceWithBatch,
  issued: IssuedCertificate & { privateKey: string },
  at: Date,
): Promise<Certificate> {
  const context = { serial: device.serial, certificateId: issued.certificateId };
  const [key, token] = await Promise.all([
    deps.vault.seal({ plaintext: Buffer.from(issued.privateKey, 'utf8'), context: { ...context, purpose: 'private-key' } }),
    deps.vault.seal({
      plaintext: Buffer.from(issued.certificateOwnershipToken, 'utf8'),
      context: { ...context, purpose: 'ownership-token' },
    }),
  ]);
  return deps.prisma.$transaction(async (tx) => {
    const certificate = await tx.certificate.create({
      data: {
        certificateId: issued.certificateId,
        deviceId: device.id,
        certificatePem: issued.certificatePem,
        status: 'ISSUED',
        privateKeyCiphertext: bytes(key.ciphertext),
        privateKeyWrappedKey: bytes(key.wrappedKey),
        privateKeyKekId: key.kekId,
        privateKeyAlgorithm: key.algorithm,
        ownershipTokenCiphertext: bytes(token.ciphertext),
        ownershipTokenWrappedKey: bytes(token.wrappedKey),
        ownershipTokenKekId: token.kekId,
        ownershipTokenAlgorithm: token.algorithm,
        ownershipTokenExpiresAt: new Date(at.getTime() + deps.tokenTtlMs),
      },
    });
    await tx.device.update({ where: { id: device.id }, data: { state: 'CERT_ISSUED', certIssuedAt: at } });
    await tx.auditEvent.create({
      data: {
        actor: deps.actor,
        origin: deps.origin,
        action: 'certificate.issued',
        deviceId: device.id,
        batchId: device.batchId,
        details: { certificateId: issued.certificateId, mode: device.batch.mode },
      },
    });
    return certificate;
  });
}

async function openToken(deps: ProvisionDeps, serial: string, certificate: Certificate): Promise<string> {
  const plaintext = await deps.vault.open(
    {
      ciphertext: Buffer.from(certificate.ownershipTokenCiphertext!),
      wrappedKey: Buffer.from(certificate.ownershipTokenWrappedKey!),
      kekId: certificate.ownershipTokenKekId!,
      algorithm: certificate.ownershipTokenAlgorithm!,
    },
    { serial, certificateId: certificate.certificateId, purpose: 'ownership-token' },
  );
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

async function saveRegistration(
  deps: ProvisionDeps,
  device: DeviceWithBatch,
  certificate: Certificate,
  thing: { thingName: string; deviceConfiguration: Record<string, string> },
  at: Date,
): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    await tx.certificate.update({
      where: { id: certificate.id },
      // The token is spent: shred it now rather than keep a dead bearer secret.
      data: {
        status: 'ACTIVE',
        activatedAt: at,
        ownershipTokenCiphertext: null,
        ownershipTokenWrappedKey: null,
      },
    });
    await tx.device.update({
      where: { id: device.id },
      data: {
        state: 'REGISTERED',
        registeredAt: at,
        thingName: thing.thingName,
        deviceConfiguration: thing.deviceConfiguration,
        lastErrorCode: null,
        lastErrorMessage: null,
        lastErrorRetryable: null,
      },
    });
    await tx.auditEvent.create({
      data: {
        actor: deps.actor,
        origin: deps.origin,
        action: 'device.registered',
        deviceId: device.id,
        batchId: device.batchId,
        details: { thingName: thing.thingName, certificateId: certificate.certificateId },
      },
    });
  });
}

async function orphan(deps: ProvisionDeps, certificateRowId: string, at: Date): Promise<void> {
  await deps.prisma.certificate.updateMany({
    where: { id: certificateRowId, status: 'ISSUED' },
    data: { status: 'ORPHANED', orphanedAt: at, ownershipTokenCiphertext: null, ownershipTokenWrappedKey: null },
  });
}

/** Prisma's Bytes columns take a Uint8Array over a plain ArrayBuffer. */
function bytes(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer);
}

function isTokenRejection(error: unknown): boolean {
  return (error as { errorCode?: string })?.errorCode === 'InvalidCertificateOwnershipToken';
}
