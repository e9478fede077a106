import { z } from 'zod';
import { arns, EMULATED_ACCOUNT_ID } from '../aws-arns.js';
import type { ControlPlaneDeps } from './deps.js';
import { invalidRequest, notFound } from './iot-error.js';
import { members, queryMember, requiredMember, type OperationRequest, type Route } from './inputs.js';

/** Pre-provisioning hook payload version AWS uses. */
const HOOK_PAYLOAD_VERSION = '2020-04-01';
/** AWS requires a provisioning role; the emulator needs none, so it names an invented one. */
const PROVISIONING_ROLE_ARN = `arn:aws:iam::${EMULATED_ACCOUNT_ID}:role/claimline-emulator-provisioning`;
/** The endpoint types of the MQTT data plane; the others (credentials, jobs) are not emulated. */
const DATA_ENDPOINT_TYPES = new Set(['iot:Data-ATS', 'iot:Data']);

function describeTemplate(deps: ControlPlaneDeps, request: OperationRequest) {
  const templateName = requiredMember(members.templateName, 'templateName', request.params.templateName);
  const template = deps.templates.get(templateName);
  if (!template) throw notFound(`The provisioning template ${templateName} does not exist.`);
  const { Parameters, Mappings, Resources, DeviceConfiguration } = template;
  const created = deps.templatesLoadedAt.getTime() / 1000;
  return {
    templateArn: arns.provisioningTemplate(templateName),
    templateName,
    creationDate: created,
    lastModifiedDate: created,
    defaultVersionId: 1,
    templateBody: JSON.stringify({ Parameters, Mappings, Resources, DeviceConfiguration }),
    enabled: true,
    provisioningRoleArn: PROVISIONING_ROLE_ARN,
    preProvisioningHook: template.hookUrl
      ? { targetArn: template.hookUrl, payloadVersion: HOOK_PAYLOAD_VERSION }
      : undefined,
    type: 'FLEET_PROVISIONING',
  };
}

/** The MQTT endpoint: `host` as AWS names it when the port is AWS's 8883, else `host:port`. */
function describeEndpoint(deps: ControlPlaneDeps, request: OperationRequest) {
  const endpointType = queryMember(request, z.string().max(128), 'endpointType') ?? 'iot:Data';
  if (!DATA_ENDPOINT_TYPES.has(endpointType))
    throw invalidRequest(`Endpoint type ${endpointType} is not emulated (only iot:Data-ATS and iot:Data).`);
  const { host, port } = deps.mqttEndpoint();
  return { endpointAddress: port === 8883 ? host : `${host}:${port}` };
}

export const templateRoutes = (deps: ControlPlaneDeps): Route[] => [
  {
    method: 'get',
    path: '/provisioning-templates/:templateName',
    operation: 'DescribeProvisioningTemplate',
    handle: (r) => describeTemplate(deps, r),
  },
  {
    method: 'get',
    path: '/endpoint',
    operation: 'DescribeEndpoint',
    handle: (r) => describeEndpoint(deps, r),
  },
];
