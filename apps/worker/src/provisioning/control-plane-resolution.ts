import type { ControlPlane } from '@claimline/aws-control-plane';
import type { Certificate } from '@claimline/db';
import type { RegisteredThing } from './claim-port.js';
import type { FlowContext } from './provision-device.js';
import { RegistrationUnknownError } from './provisioning-errors.js';
import { predictRegistration } from './registration-prediction.js';

export type ControlPlaneVerdict = { kind: 'registered'; thing: RegisteredThing } | { kind: 'not-registered' };

/**
 * AWS's control plane decides a lost RegisterThing answer (its token already refused):
 * - the certificate is ACTIVE and attached to a thing → registered, to that thing (its name from AWS;
 *   the device configuration is the template's, evaluated with the unit's parameters, as AWS gave it);
 * - AWS does not know it, or it is attached to no thing and not ACTIVE → never registered: orphan it;
 * - anything else (ACTIVE without a thing, attached but no longer ACTIVE, a failed call) → unknown,
 *   retried; reconcile settles what stays so.
 */
export async function resolveThroughControlPlane(
  ctx: FlowContext,
  controlPlane: ControlPlane,
  row: Certificate,
): Promise<ControlPlaneVerdict> {
  const unknown = (reason: string) =>
    new RegistrationUnknownError(row.certificateId, `control plane: ${reason}`);
  let description;
  let things: string[];
  try {
    description = await controlPlane.describeCertificate(row.certificateId);
    if (!description) return { kind: 'not-registered' };
    things = await controlPlane.listPrincipalThings(description.certificateArn);
  } catch (error) {
    throw unknown(error instanceof Error ? error.message : String(error));
  }
  if (things.length === 0) {
    if (description.status !== 'ACTIVE') return { kind: 'not-registered' };
    throw unknown('the certificate is ACTIVE but attached to no thing');
  }
  if (description.status !== 'ACTIVE')
    throw unknown(`the certificate is attached to ${things.join(', ')} but ${description.status}`);
  const prediction = await predictRegistration(
    ctx.deps.templatesDir,
    ctx.device.batch.templateName,
    ctx.parameters,
    row,
  );
  if (prediction.kind === 'unpredictable')
    throw unknown(`registered to ${things.join(', ')}, but its device configuration: ${prediction.reason}`);
  // A certificate of a unit is attached to one thing; if there were several, the template's is it.
  const predicted = prediction.thing.thingName;
  const thingName = things.includes(predicted) ? predicted : things[0]!;
  return {
    kind: 'registered',
    thing: { thingName, deviceConfiguration: prediction.thing.deviceConfiguration },
  };
}
