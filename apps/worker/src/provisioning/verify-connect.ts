import type { Certificate } from '@claimline/db';
import { renewLease, saveVerification } from '@claimline/device-ledger';
import type { FlowContext, ProvisionOutcome } from './provision-device.js';
import { VerifyConnectUnknownError } from './provisioning-errors.js';

/**
 * Seed step 3, proven per unit (`WORKER_VERIFY_CONNECT`): the unit's new certificate connects once as
 * its thing, then disconnects, before the unit is REGISTERED and any station may burn it.
 *
 * - CONNACK success → REGISTERED.
 * - CONNACK refusal (the certificate, or the template's policy, does not let it connect as its thing)
 *   → VERIFY_FAILED with the reason: a unit that would be dead in the field never reaches a station.
 * - anything else (time-out, network, AWS's 1 CONNECT/s per client id) proves nothing: the unit stays
 *   VERIFYING and the job retries the verification later.
 * - no private key in claimline (keys born in the unit) → nothing to connect with: REGISTERED.
 */
export async function verifyConnect(
  ctx: FlowContext,
  certificate: { certificateId: string; certificatePem: string; privateKeyPem: string | null },
  thingName: string,
): Promise<ProvisionOutcome> {
  const { deps, device, fence, now } = ctx;
  const registered: ProvisionOutcome = {
    kind: 'registered',
    thingName,
    certificateId: certificate.certificateId,
    reusedCertificate: true,
    evidence: 'answer',
  };
  const privateKey = certificate.privateKeyPem;
  if (!privateKey) {
    await saveVerification(deps, device, fence, { connected: true, evidence: 'no-key' }, now());
    return registered;
  }
  await renewLease(deps, fence, now());
  const probe = await deps.claims.probeConnect({
    certificatePem: certificate.certificatePem,
    privateKeyPem: privateKey,
    clientId: thingName,
  });
  if (probe.connected) {
    await saveVerification(deps, device, fence, { connected: true, evidence: 'connect' }, now());
    return registered;
  }
  if (probe.refused) {
    await saveVerification(
      deps,
      device,
      fence,
      { connected: false, reason: `connect as ${thingName}: ${probe.reason}` },
      now(),
    );
    return { kind: 'skipped', state: 'VERIFY_FAILED' };
  }
  throw new VerifyConnectUnknownError(thingName, probe.reason);
}

/**
 * Whether this unit gets its verification CONNECT: not a unit that holds its own key (device-csr),
 * since claimline has no key to connect with.
 */
export function verifiesConnect(ctx: FlowContext): boolean {
  return ctx.deps.verifyConnect && ctx.device.batch.mode !== 'DEVICE_CSR';
}

/** A unit left VERIFYING by an earlier attempt: its ACTIVE certificate connects now. */
export async function resumeVerification(ctx: FlowContext): Promise<ProvisionOutcome> {
  const certificate = ctx.device.certificates.find((c: Certificate) => c.status === 'ACTIVE');
  if (!certificate || !ctx.device.thingName)
    throw new Error(`VERIFYING device ${ctx.device.serial} has no ACTIVE certificate or thing name`);
  const privateKeyPem = await ctx.openPrivateKey(certificate);
  return verifyConnect(ctx, { ...certificate, privateKeyPem }, ctx.device.thingName);
}
