import type { Certificate } from '@claimline/db';
import type { RegisteredThing } from './claim-port.js';
import {
  markRegistering,
  orphan,
  pendingCertificate,
  saveRegistration,
  type RegistrationEvidence,
} from '@claimline/device-ledger';
import { resolveThroughControlPlane } from './control-plane-resolution.js';
import type { FlowContext, ProvisionOutcome } from './provision-device.js';
import { RegistrationUnknownError } from './provisioning-errors.js';
import { verifiesConnect, verifyConnect } from './verify-connect.js';
import { predictRegistration } from './registration-prediction.js';

/**
 * A certificate left REGISTERING: an earlier attempt sent RegisterThing and never recorded the answer
 * (answer lost, worker killed, database or Redis gone at the wrong moment). AWS may or may not have
 * registered it, so it is resolved before anything else happens to the unit:
 *
 * 1. RegisterThing again with the same token. Accepted: AWS had not applied the first one; done.
 * 2. Refused (AWS spends a token once, so a refusal is what a registered certificate gets): with a
 *    control plane, AWS says (`control-plane-resolution.ts`): registered, or never registered — then
 *    the certificate is ORPHANED and the caller issues a new one (`'orphaned'`).
 *    Without one: connect once with the certificate and its saved key, as the thing name its template
 *    gives the unit. Connected: registered; the thing name and configuration are the template's.
 * 3. Anything else (no answer, 429, 5xx, a failed or impossible probe) proves nothing: the unit waits
 *    (RegistrationOutcomeUnknown) and the job retries later. A second certificate is never issued.
 */
export async function resolveRegistration(
  ctx: FlowContext,
  row: Certificate,
): Promise<ProvisionOutcome | 'orphaned'> {
  const { deps, session, device, fence, now } = ctx;
  const pending = pendingCertificate(row);
  if (pending) {
    const token = await ctx.openToken(pending);
    await markRegistering(deps, fence, pending, now());
    try {
      const thing = await ctx.time('register', () =>
        session.registerThing(device.batch.templateName, token, ctx.parameters, ctx.format),
      );
      return await registered(ctx, row, thing, 'answer');
    } catch (error) {
      if (!isPermanentRejection(error)) throw error;
    }
  }
  if (deps.controlPlane) {
    const verdict = await resolveThroughControlPlane(ctx, deps.controlPlane, row);
    if (verdict.kind === 'registered') return registered(ctx, row, verdict.thing, 'control-plane');
    await orphan(deps, row.id, now());
    return 'orphaned';
  }
  // A unit that holds its own key (device-csr) is resolved only through the control plane.
  const privateKey = await ctx.openPrivateKey(row);
  if (!privateKey)
    throw new RegistrationUnknownError(
      row.certificateId,
      'claimline holds no private key to probe with: configure the control plane to resolve it',
    );
  const prediction = await predictRegistration(
    deps.templatesDir,
    device.batch.templateName,
    ctx.parameters,
    row,
  );
  if (prediction.kind === 'unpredictable')
    throw new RegistrationUnknownError(row.certificateId, prediction.reason);
  const probe = await deps.claims.probeConnect({
    certificatePem: row.certificatePem,
    privateKeyPem: privateKey,
    clientId: prediction.thing.thingName,
  });
  if (!probe.connected)
    throw new RegistrationUnknownError(
      row.certificateId,
      `connect probe as ${prediction.thing.thingName}: ${probe.reason}`,
    );
  return registered(ctx, row, prediction.thing, 'connect-probe');
}

async function registered(
  ctx: FlowContext,
  row: Certificate,
  thing: RegisteredThing,
  evidence: RegistrationEvidence,
): Promise<ProvisionOutcome> {
  const pending = { id: row.id, certificateId: row.certificateId };
  // A connect probe has just proven the connect; an answer or the control plane has not: verify those.
  const verifyNext = verifiesConnect(ctx) && evidence !== 'connect-probe';
  await ctx.time('persist', () =>
    saveRegistration(ctx.deps, ctx.device, pending, thing, evidence, ctx.now(), verifyNext),
  );
  if (verifyNext) {
    const privateKeyPem = await ctx.openPrivateKey(row);
    return verifyConnect(ctx, { ...row, privateKeyPem }, thing.thingName);
  }
  return {
    kind: 'registered',
    thingName: thing.thingName,
    certificateId: row.certificateId,
    reusedCertificate: true,
    evidence,
  };
}

/** Any 4xx, 429 included: AWS answered, so this RegisterThing applied nothing. */
export function isDefiniteRejection(error: unknown): boolean {
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** A 4xx other than 429: AWS answered and applied nothing *this* time (the token, for a spent one). */
export function isPermanentRejection(error: unknown): boolean {
  return isDefiniteRejection(error) && (error as { statusCode: number }).statusCode !== 429;
}
