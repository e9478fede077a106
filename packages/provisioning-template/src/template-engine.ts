import { createHash } from 'node:crypto';
import { EMULATED_ACCOUNT_ID, EMULATED_REGION } from './aws-account.js';
import { TemplateEvaluationError } from './template-error.js';

import { asString, evaluate, type EvalContext } from './intrinsics.js';
import type { OverrideAction, ProvisioningTemplate } from './template-types.js';

/** Certificate statuses a template may set (AWS's CertificateStatus values it accepts). */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_ACTIVATION';

/** A policy the template attaches: by name (created beforehand) or inline (named by the template). */
export type Policy = { policyName: string; policyDocument?: string };

export type ThingPlan = {
  thingName: string;
  attributes: Record<string, string>;
  thingTypeName?: string;
  thingGroups: string[];
  billingGroup?: string;
  overrides: Record<string, OverrideAction>;
};

/** Everything RegisterThing will do, computed before anything is written. */
export type ProvisioningPlan = {
  thing?: ThingPlan;
  certificateStatus?: CertificateStatus;
  policies: Policy[];
  deviceConfiguration: Record<string, string>;
};

export type CertificateFacts = {
  certificateId: string;
  commonName?: string;
  country?: string;
  organization?: string;
};

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const STATUSES = new Set(['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_ACTIVATION']);
const invalid = (message: string): never => {
  throw new TemplateEvaluationError('InvalidParameters', message);
};
const failure = (message: string): never => {
  throw new TemplateEvaluationError('TemplateProcessingFailure', message);
};

function resolveParameters(
  template: ProvisioningTemplate,
  given: Record<string, unknown>,
  cert: CertificateFacts,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) if (typeof value === 'string') values[name] = value;
  for (const [name, declared] of Object.entries(template.Parameters)) {
    if (values[name] === undefined && declared.Default !== undefined) values[name] = String(declared.Default);
    const value = values[name];
    if (value === undefined) continue;
    if (declared.Type === 'Number' && !Number.isFinite(Number(value)))
      invalid(`parameter ${name} must be a number`);
  }
  values['AWS::IoT::Certificate::Id'] = cert.certificateId;
  if (cert.commonName !== undefined) values['AWS::IoT::Certificate::CommonName'] = cert.commonName;
  if (cert.country !== undefined) values['AWS::IoT::Certificate::Country'] = cert.country;
  if (cert.organization !== undefined) values['AWS::IoT::Certificate::Organization'] = cert.organization;
  values['AWS::Region'] = EMULATED_REGION;
  values['AWS::AccountId'] = EMULATED_ACCOUNT_ID;
  return values;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return failure(`${where} must be an object`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asString(v, `${where}.${k}`)]));
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return failure(`${where} must be a list`);
  return value.map((item) => asString(item, where));
}

/** Runs a template against request parameters; throws TemplateEvaluationError (AWS answers 400) on any problem. */
export function planProvisioning(
  template: ProvisioningTemplate,
  parameters: Record<string, unknown>,
  cert: CertificateFacts,
): ProvisioningPlan {
  const ctx: EvalContext = {
    parameters: resolveParameters(template, parameters, cert),
    mappings: template.Mappings,
  };
  const plan: ProvisioningPlan = { policies: [], deviceConfiguration: {} };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = (evaluate(resource.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>;
    if (resource.Type === 'AWS::IoT::Thing') {
      const thingName = asString(props.ThingName, `Resources.${id}.ThingName`);
      if (!THING_NAME.test(thingName)) invalid(`thing name "${thingName}" is not valid`);
      plan.thing = {
        thingName,
        attributes: stringMap(
          (props.AttributePayload as { attributes?: unknown } | undefined)?.attributes ??
            props.AttributePayload,
          `Resources.${id}.AttributePayload`,
        ),
        thingTypeName:
          props.ThingTypeName === undefined ? undefined : asString(props.ThingTypeName, 'ThingTypeName'),
        thingGroups: stringList(props.ThingGroups, `Resources.${id}.ThingGroups`),
        billingGroup:
          props.BillingGroup === undefined ? undefined : asString(props.BillingGroup, 'BillingGroup'),
        overrides: (resource.OverrideSettings ?? {}) as Record<string, OverrideAction>,
      };
    } else if (resource.Type === 'AWS::IoT::Certificate') {
      const certificateId =
        props.CertificateId === undefined
          ? cert.certificateId
          : asString(props.CertificateId, 'CertificateId');
      if (certificateId !== cert.certificateId)
        failure(`Resources.${id}.CertificateId is not the certificate being provisioned`);
      const status = props.Status === undefined ? undefined : asString(props.Status, 'Status');
      if (status !== undefined && !STATUSES.has(status))
        failure(`Resources.${id}.Status "${status}" is not valid`);
      plan.certificateStatus = status as CertificateStatus | undefined;
    } else if (props.PolicyName !== undefined) {
      plan.policies.push({ policyName: asString(props.PolicyName, 'PolicyName') });
    } else {
      const doc = props.PolicyDocument;
      const policyDocument = typeof doc === 'string' ? doc : JSON.stringify(doc);
      const digest = createHash('sha256').update(policyDocument).digest('hex').slice(0, 16);
      plan.policies.push({ policyName: `${template.name}-${id}-${digest}`, policyDocument });
    }
  }
  for (const [key, value] of Object.entries(template.DeviceConfiguration)) {
    plan.deviceConfiguration[key] = asString(evaluate(value, ctx), `DeviceConfiguration.${key}`);
  }
  return plan;
}
