import {
  OVERRIDE_ACTIONS,
  RESOURCE_TYPES,
  type ProvisioningTemplate,
  type TemplateResource,
} from './template-types.js';

export const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;
export const MAX_TEMPLATE_BODY = 10_240;
const PARAMETER_TYPES = new Set(['String', 'Number', 'List<String>', 'List<Number>', 'CommaDelimitedList']);

export class TemplateValidationError extends Error {
  constructor(
    readonly templateName: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid provisioning template "${templateName}":\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'TemplateValidationError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkResource(id: string, resource: unknown, problems: string[]): void {
  if (!isObject(resource)) return void problems.push(`Resources.${id} must be an object`);
  const type = resource.Type;
  if (!RESOURCE_TYPES.includes(type as (typeof RESOURCE_TYPES)[number])) {
    return void problems.push(
      `Resources.${id}.Type "${String(type)}" is not one of ${RESOURCE_TYPES.join(', ')}`,
    );
  }
  const props = resource.Properties ?? {};
  if (!isObject(props)) return void problems.push(`Resources.${id}.Properties must be an object`);
  if (type === 'AWS::IoT::Thing' && props.ThingName === undefined)
    problems.push(`Resources.${id}: AWS::IoT::Thing needs ThingName`);
  if (
    type === 'AWS::IoT::Certificate' &&
    props.CertificateId === undefined &&
    props.CertificatePem === undefined
  ) {
    problems.push(`Resources.${id}: AWS::IoT::Certificate needs CertificateId`);
  }
  if (type === 'AWS::IoT::Policy') {
    const count = Number(props.PolicyName !== undefined) + Number(props.PolicyDocument !== undefined);
    if (count !== 1)
      problems.push(`Resources.${id}: AWS::IoT::Policy needs exactly one of PolicyName and PolicyDocument`);
  }
  if (resource.OverrideSettings !== undefined) {
    if (!isObject(resource.OverrideSettings))
      return void problems.push(`Resources.${id}.OverrideSettings must be an object`);
    for (const [key, action] of Object.entries(resource.OverrideSettings)) {
      if (!OVERRIDE_ACTIONS.includes(action as (typeof OVERRIDE_ACTIONS)[number])) {
        problems.push(
          `Resources.${id}.OverrideSettings.${key} "${String(action)}" is not one of ${OVERRIDE_ACTIONS.join(', ')}`,
        );
      }
    }
  }
}

/** Checks a template body at load time, so a bad template fails start-up rather than a device. */
export function validateTemplate(
  name: string,
  body: unknown,
  bodyText = JSON.stringify(body),
): ProvisioningTemplate {
  const problems: string[] = [];
  if (!TEMPLATE_NAME.test(name)) problems.push('name must be 1-36 characters of [0-9A-Za-z_-]');
  if (bodyText.length > MAX_TEMPLATE_BODY)
    problems.push(`body is ${bodyText.length} characters; the limit is ${MAX_TEMPLATE_BODY}`);
  if (!isObject(body)) throw new TemplateValidationError(name, [...problems, 'body must be a JSON object']);

  const parameters = body.Parameters ?? {};
  if (!isObject(parameters)) problems.push('Parameters must be an object');
  else {
    for (const [key, param] of Object.entries(parameters)) {
      if (!isObject(param)) problems.push(`Parameters.${key} must be an object`);
      else if (param.Type !== undefined && !PARAMETER_TYPES.has(String(param.Type)))
        problems.push(`Parameters.${key}.Type "${String(param.Type)}" is not supported`);
    }
  }
  const mappings = body.Mappings ?? {};
  if (!isObject(mappings)) problems.push('Mappings must be an object');
  const resources = body.Resources;
  if (!isObject(resources) || Object.keys(resources).length === 0)
    problems.push('Resources must be a non-empty object');
  else {
    for (const [id, resource] of Object.entries(resources)) checkResource(id, resource, problems);
    const things = Object.values(resources).filter((r) => isObject(r) && r.Type === 'AWS::IoT::Thing');
    if (things.length > 1) problems.push('at most one AWS::IoT::Thing resource');
  }
  const deviceConfiguration = body.DeviceConfiguration ?? {};
  if (!isObject(deviceConfiguration)) problems.push('DeviceConfiguration must be an object');
  else {
    for (const [key, value] of Object.entries(deviceConfiguration)) {
      const intrinsic =
        isObject(value) && Object.keys(value).length === 1 && /^(Ref|Fn::)/.test(Object.keys(value)[0] ?? '');
      if (typeof value !== 'string' && !intrinsic)
        problems.push(`DeviceConfiguration.${key} must be a string (DeviceConfiguration is flat)`);
    }
  }
  let hookUrl: string | undefined;
  if (body.PreProvisioningHook !== undefined) {
    const hook = body.PreProvisioningHook;
    if (!isObject(hook) || typeof hook.TargetArn !== 'string' || !/^https?:\/\//.test(hook.TargetArn)) {
      problems.push('PreProvisioningHook.TargetArn must be an http(s) URL in the emulator');
    } else hookUrl = hook.TargetArn;
  }
  if (body.Conditions !== undefined)
    problems.push('Conditions (and Fn::If) are not supported by the emulator');
  const known = new Set([
    'AWSTemplateFormatVersion',
    'Description',
    'Parameters',
    'Mappings',
    'Resources',
    'DeviceConfiguration',
    'PreProvisioningHook',
    'Conditions',
  ]);
  for (const key of Object.keys(body)) if (!known.has(key)) problems.push(`unknown top-level field "${key}"`);
  if (problems.length > 0) throw new TemplateValidationError(name, problems);
  return {
    name,
    Parameters: parameters as ProvisioningTemplate['Parameters'],
    Mappings: mappings as ProvisioningTemplate['Mappings'],
    Resources: resources as Record<string, TemplateResource>,
    DeviceConfiguration: deviceConfiguration as Record<string, unknown>,
    hookUrl,
  };
}
