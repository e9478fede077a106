import type { Batch, Certificate } from '@claimline/db';
import type { ControlPlane } from '@claimline/aws-control-plane';
import type { Vault } from '@claimline/vault';
import type { ClaimGateway, ClaimSession, PayloadFormat } from './claim-port.js';
import {
  FencedOut,
  markBatchFinishedIfDone,
  markNotRegistered,
  markRegistering,
  orphan,
  pendingCertificate,
  releaseLease,
  renewLease,
  saveIssuedCertificate,
  saveRegistration,
  sealedPrivateKeyOf,
  startAttempt,
  type DeviceWithBatch,
  type Fence,
  type PendingCertificate,
  type ProvisioningLedger,
} from '@claimline/device-ledger';
import { TokenExpiredError } from './provisioning-errors.js';
import { isDefiniteRejection, resolveRegistration } from './resolve-registration.js';
import { issueCertificate, sealIssued } from './issue-certificate.js';
import { resumeVerification, verifiesConnect, verifyConnect } from './verify-connect.js';

/**
 * Provisions one device: the whole claim flow for one serial, crash-safe at every step.
 *
 *   QUEUED → CLAIMING → (certificate + sealed key + sealed token committed) CERT_ISSUED
 *          → (certificate REGISTERING committed) RegisterThing → REGISTERED
 *
 * The certificate, its key and its ownership token are committed *before* RegisterThing, so a crash
 * between the two calls loses nothing: the next attempt finds the saved certificate and, while its
 * token is still valid, registers it instead of creating a second one. A token that expired unused
 * leaves an ORPHANED certificate (AWS deletes it; we keep the record).
 *
 * Intent before effect: the certificate is marked REGISTERING before RegisterThing is published. A
 * REGISTERING certificate may be registered at AWS whatever became of the answer, so it is resolved
 * (`resolve-registration.ts`) before anything else, and never orphaned or replaced unresolved.
 *
 * One flow per device at a time, even when the queue runs a job twice: an attempt takes a *lease* on
 * the device (`claiming_at`, renewed before every AWS call) and is *fenced* by its attempt number
 * (the device ledger's provisioning writes, docs/worker.md).
 */

/** A token this close to expiry is not worth a RegisterThing that might outlive it. */
const TOKEN_SAFETY_MARGIN_MS = 60_000;

export type ProvisionOutcome =
  | {
      kind: 'registered';
      thingName: string;
      certificateId: string;
      reusedCertificate: boolean;
      /** How the registration became known: AWS's answer, or the connect probe after a lost one. */
      evidence: 'answer' | 'connect-probe' | 'control-plane';
    }
  | { kind: 'skipped'; state: string }
  /** Another run holds the device's lease: try again once it may have lapsed. */
  | { kind: 'busy'; retryInMs: number };

export type StepTimer = <T>(
  step: 'create' | 'register' | 'persist' | 'keygen',
  run: () => Promise<T>,
) => Promise<T>;

export type ProvisionDeps = ProvisioningLedger & {
  vault: Vault;
  claims: ClaimGateway;
  /** Template parameter that receives the serial number. */
  serialParameter: string;
  /** Provisioning templates as uploaded to AWS: they name the thing a lost answer registered. */
  templatesDir: string;
  /** Connect once with each new certificate as its thing before the unit is REGISTERED. */
  verifyConnect: boolean;
  /** AWS's control plane, when configured: it decides lost answers (else the connect probe does). */
  controlPlane?: ControlPlane;
  timeStep?: StepTimer;
  /** Fault injection for the crash-safety tests and chaos runs: called once the certificate is saved. */
  afterCertificateSaved?: (serial: string) => void;
  now?: () => Date;
};

/** One attempt's working set, shared by the flow and the resolution of a lost answer. */
export type FlowContext = {
  deps: ProvisionDeps;
  session: ClaimSession;
  device: DeviceWithBatch;
  fence: Fence;
  format: PayloadFormat;
  parameters: Record<string, string>;
  time: StepTimer;
  now: () => Date;
  openToken(certificate: PendingCertificate): Promise<string>;
  openPrivateKey(certificate: Certificate): Promise<string | null>;
};

const FORMAT: Record<Batch['payloadFormat'], PayloadFormat> = { JSON: 'json', CBOR: 'cbor' };

export async function provisionDevice(deps: ProvisionDeps, deviceId: string): Promise<ProvisionOutcome> {
  const now = deps.now ?? (() => new Date());
  const time: StepTimer = deps.timeStep ?? ((_step, run) => run());

  // The connection first, then the lease: waiting for a free connection must not eat into the lease.
  return deps.claims.withSession(async (session) => {
    const attempt = await startAttempt(deps, deviceId, now());
    if (attempt.kind !== 'started') return attempt;
    const { device, fence } = attempt;
    const ctx = flowContext(deps, session, device, fence, time, now);
    try {
      const registering = device.certificates.find((certificate) => certificate.status === 'REGISTERING');
      const resolved =
        device.state === 'VERIFYING'
          ? await resumeVerification(ctx)
          : registering
            ? await resolveRegistration(ctx, registering)
            : await runFlow(ctx);
      // AWS never registered it (the control plane said so): orphaned; a new certificate now.
      const outcome =
        resolved === 'orphaned'
          ? await runFlow({
              ...ctx,
              device: { ...device, certificates: device.certificates.filter((c) => c !== registering) },
            })
          : resolved;
      await markBatchFinishedIfDone(deps.prisma, device.batchId);
      return outcome;
    } catch (error) {
      if (error instanceof FencedOut) return { kind: 'skipped', state: 'SUPERSEDED' };
      await releaseLease(deps, fence);
      throw error;
    }
  });
}

async function runFlow(ctx: FlowContext): Promise<ProvisionOutcome> {
  const { deps, session, device, fence, time, now } = ctx;
  let certificate = await reusableCertificate(ctx);
  const reused = certificate !== null;
  // Its PEM and key (for the verification CONNECT) and its ownership token: in memory when just issued
  // (no vault open, so no KMS Decrypt per unit with aws-kms), from the row when reused.
  let credentials: () => Promise<{ certificatePem: string; privateKeyPem: string | null }>;
  let token: string;
  if (certificate === null) {
    await renewLease(deps, fence, now());
    const issued = await issueCertificate(ctx);
    const sealed = await sealIssued(deps.vault, device.serial, issued);
    certificate = await time('persist', () => saveIssuedCertificate(deps, device, fence, sealed, now()));
    deps.afterCertificateSaved?.(device.serial);
    credentials = async () => ({ certificatePem: issued.certificatePem, privateKeyPem: issued.privateKey });
    token = issued.certificateOwnershipToken;
  } else {
    const row = device.certificates.find((c) => c.id === certificate!.id)!;
    credentials = async () => ({
      certificatePem: row.certificatePem,
      privateKeyPem: await ctx.openPrivateKey(row),
    });
    token = await ctx.openToken(certificate);
  }
  await markRegistering(deps, fence, certificate, now());
  let thing;
  try {
    thing = await time('register', () =>
      session.registerThing(device.batch.templateName, token, ctx.parameters, ctx.format),
    );
  } catch (error) {
    // First send of this token: nothing of ours spent it, so a refusal means it expired.
    if (isTokenRejection(error)) {
      await orphan(deps, certificate.id, now());
      throw new TokenExpiredError(certificate.certificateId);
    }
    // Any other answer applied nothing; no answer at all leaves it REGISTERING, to be resolved.
    if (isDefiniteRejection(error)) await markNotRegistered(deps, certificate);
    throw error;
  }
  const verify = verifiesConnect(ctx);
  await time('persist', () => saveRegistration(deps, device, certificate, thing, 'answer', now(), verify));
  if (verify) {
    return verifyConnect(
      ctx,
      { certificateId: certificate.certificateId, ...(await credentials()) },
      thing.thingName,
    );
  }
  return {
    kind: 'registered',
    thingName: thing.thingName,
    certificateId: certificate.certificateId,
    reusedCertificate: reused,
    evidence: 'answer',
  };
}

function flowContext(
  deps: ProvisionDeps,
  session: ClaimSession,
  device: DeviceWithBatch,
  fence: Fence,
  time: StepTimer,
  now: () => Date,
): FlowContext {
  return {
    deps,
    session,
    device,
    fence,
    format: FORMAT[device.batch.payloadFormat],
    parameters: templateParameters(device, deps.serialParameter),
    time,
    now,
    async openToken(certificate) {
      const context = {
        serial: device.serial,
        certificateId: certificate.certificateId,
        purpose: 'ownership-token' as const,
      };
      return (await deps.vault.open(certificate.token, context)).toString('utf8');
    },
    async openPrivateKey(certificate) {
      const sealed = sealedPrivateKeyOf(certificate);
      if (!sealed) return null;
      const context = {
        serial: device.serial,
        certificateId: certificate.certificateId,
        purpose: 'private-key' as const,
      };
      return (await deps.vault.open(sealed, context)).toString('utf8');
    },
  };
}

/** A saved, never-sent certificate whose ownership token is still good. Expired ones are orphaned. */
async function reusableCertificate(ctx: FlowContext): Promise<PendingCertificate | null> {
  const at = ctx.now();
  let reusable: PendingCertificate | null = null;
  for (const certificate of ctx.device.certificates) {
    if (certificate.status !== 'ISSUED') continue;
    const expiresAt = certificate.ownershipTokenExpiresAt?.getTime() ?? 0;
    const pending = pendingCertificate(certificate);
    if (expiresAt - TOKEN_SAFETY_MARGIN_MS > at.getTime() && pending && !reusable) reusable = pending;
    else await orphan(ctx.deps, certificate.id, at);
  }
  return reusable;
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

function isTokenRejection(error: unknown): boolean {
  return (error as { errorCode?: string })?.errorCode === 'InvalidCertificateOwnershipToken';
}
