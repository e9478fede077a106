import type { OverrideAction, ProvisioningPlan, ThingPlan } from '@claimline/provisioning-template';
import type { RegistryStore } from '../registry/registry-store.js';
import type { Thing } from '../registry/types.js';
import { parsePolicyDocument } from '../policy/policy-document.js';
import { ProvisioningError } from './provisioning-error.js';

const sameList = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  sameList(Object.keys(a), Object.keys(b)) && Object.entries(a).every(([k, v]) => b[k] === v);

function choose<T>(
  action: OverrideAction,
  key: string,
  existing: T,
  desired: T,
  same: boolean,
  merge: (a: T, b: T) => T,
): T {
  switch (action) {
    case 'REPLACE':
      return desired;
    case 'MERGE':
      return merge(existing, desired);
    case 'FAIL':
      if (!same)
        throw new ProvisioningError(
          'ResourceConflict',
          `thing exists and its ${key} differs (OverrideSettings ${key}: FAIL)`,
        );
      return existing;
    default:
      return existing;
  }
}

/** The thing as it will be after provisioning; throws before anything is written. */
function nextThing(existing: Thing | undefined, plan: ThingPlan, certificateId: string, now: string): Thing {
  if (!existing) {
    return {
      thingName: plan.thingName,
      attributes: plan.attributes,
      thingTypeName: plan.thingTypeName,
      thingGroups: plan.thingGroups,
      billingGroup: plan.billingGroup,
      certificateIds: [certificateId],
      version: 1,
      createdAt: now,
    };
  }
  const action = (key: string): OverrideAction => plan.overrides[key] ?? 'DO_NOTHING';
  const attributes = choose(
    action('AttributePayload'),
    'AttributePayload',
    existing.attributes,
    plan.attributes,
    sameMap(existing.attributes, plan.attributes),
    (a, b) => ({ ...a, ...b }),
  );
  const thingTypeName = choose(
    action('ThingTypeName'),
    'ThingTypeName',
    existing.thingTypeName,
    plan.thingTypeName,
    existing.thingTypeName === plan.thingTypeName,
    (_a, b) => b,
  );
  const thingGroups = choose(
    action('ThingGroups'),
    'ThingGroups',
    existing.thingGroups,
    plan.thingGroups,
    sameList(existing.thingGroups, plan.thingGroups),
    (a, b) => [...new Set([...a, ...b])],
  );
  return {
    ...existing,
    attributes,
    thingTypeName,
    thingGroups,
    billingGroup: plan.billingGroup ?? existing.billingGroup,
    certificateIds: [...new Set([...existing.certificateIds, certificateId])],
    version: existing.version + 1,
  };
}

/**
 * The template's policies must exist (by name) or be valid documents (inline) before anything is
 * written. AWS documents no code for a missing policy; the emulator answers as AttachPolicy does.
 */
function checkPolicies(store: RegistryStore, plan: ProvisioningPlan): void {
  for (const policy of plan.policies) {
    if (policy.policyDocument === undefined) {
      if (store.policies.get(policy.policyName)?.policyDocument === undefined)
        throw new ProvisioningError(
          'ResourceNotFoundException',
          `policy ${policy.policyName} does not exist`,
        );
      continue;
    }
    const parsed = parsePolicyDocument(policy.policyDocument);
    if (!parsed.ok)
      throw new ProvisioningError(
        'InvalidParameters',
        `policy document of ${policy.policyName} is malformed: ${parsed.reason}`,
      );
  }
}

/** Commits a plan in one synchronous step: either everything is written or nothing. */
export function applyPlan(store: RegistryStore, plan: ProvisioningPlan, certificateId: string): void {
  const cert = store.certificates.get(certificateId);
  if (!cert)
    throw new ProvisioningError(
      'InvalidCertificateOwnershipToken',
      'the certificate of this token no longer exists',
    );
  checkPolicies(store, plan);
  const now = new Date().toISOString();
  const thing = plan.thing
    ? nextThing(store.things.get(plan.thing.thingName), plan.thing, certificateId, now)
    : undefined;
  // Nothing above writes; from here on nothing throws.
  if (thing) store.things.set(thing.thingName, thing);
  for (const policy of plan.policies)
    if (policy.policyDocument !== undefined) store.policies.set(policy.policyName, policy);
  store.certificates.set(certificateId, {
    ...cert,
    status: plan.certificateStatus ?? cert.status,
    thingName: thing?.thingName ?? cert.thingName,
    policyNames: [...new Set([...cert.policyNames, ...plan.policies.map((p) => p.policyName)])],
  });
  store.changed();
}
