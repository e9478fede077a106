import { createHash } from 'node:crypto';
import { z } from 'zod';
import { arns, certificateIdOfArn } from '../aws-arns.js';
import type { Policy } from '../registry/types.js';
import type { ControlPlaneDeps } from './deps.js';
import { IotError, invalidRequest, notFound } from './iot-error.js';
import { jsonBody, members, requiredMember, type OperationRequest, type Route } from './inputs.js';
import { compareStrings, markerPaging, pageOf } from './paging.js';

const policyNameOf = (request: OperationRequest) =>
  requiredMember(members.policyName, 'policyName', request.params.policyName);

const generationIdOf = (policy: Policy) =>
  createHash('sha256')
    .update(policy.policyDocument ?? '')
    .digest('hex');

/** AWS's first check of a document: JSON, an object, with a Statement (the policies module evaluates it). */
function checkDocument(document: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw new IotError('MalformedPolicyException', 'Policy document is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new IotError('MalformedPolicyException', 'Policy document must be a JSON object.');
  if (!('Statement' in parsed))
    throw new IotError('MalformedPolicyException', 'Policy document has no Statement.');
}

function create(deps: ControlPlaneDeps, request: OperationRequest) {
  const policyName = policyNameOf(request);
  const body = jsonBody(request);
  const policyDocument = requiredMember(z.string().max(404600), 'policyDocument', body.policyDocument);
  checkDocument(policyDocument);
  const policyArn = arns.policy(policyName);
  if (deps.store.policies.has(policyName))
    throw new IotError('ResourceAlreadyExistsException', `Policy ${policyName} already exists.`, {
      resourceId: policyName,
      resourceArn: policyArn,
    });
  deps.store.policies.set(policyName, { policyName, policyDocument });
  deps.store.changed();
  return { policyName, policyArn, policyDocument, policyVersionId: '1' };
}

function get(deps: ControlPlaneDeps, request: OperationRequest) {
  const policyName = policyNameOf(request);
  const policy = deps.store.policies.get(policyName);
  if (!policy) throw notFound(`Policy ${policyName} cannot be found.`);
  return {
    policyName,
    policyArn: arns.policy(policyName),
    policyDocument: policy.policyDocument,
    defaultVersionId: '1',
    generationId: generationIdOf(policy),
  };
}

/** The certificate a policy target names (certificate ARNs are the only targets emulated). */
function certificateOfTarget(target: string): string {
  const certificateId = certificateIdOfArn(target);
  if (!certificateId) throw invalidRequest(`Target ${target} is not a certificate ARN of this account.`);
  return certificateId;
}

/** The model gives DetachPolicy no ResourceNotFoundException: an unknown target is a bad request. */
function detach(deps: ControlPlaneDeps, request: OperationRequest) {
  const policyName = policyNameOf(request);
  const target = requiredMember(z.string().min(1), 'target', jsonBody(request).target);
  const certificateId = certificateOfTarget(target);
  const cert = deps.store.certificates.get(certificateId);
  if (!cert) throw invalidRequest(`Target ${target} does not exist.`);
  if (cert.policyNames.includes(policyName)) {
    deps.store.certificates.set(certificateId, {
      ...cert,
      policyNames: cert.policyNames.filter((name) => name !== policyName),
    });
    deps.store.changed();
  }
  return {};
}

function listAttached(deps: ControlPlaneDeps, request: OperationRequest) {
  const target = requiredMember(z.string().min(1), 'target', request.params.target);
  const cert = deps.store.certificates.get(certificateOfTarget(target));
  if (!cert) throw notFound(`Target ${target} cannot be found.`);
  const { token, size } = markerPaging(request);
  const page = pageOf([...cert.policyNames].sort(compareStrings), (name) => name, token, size);
  return {
    policies: page.items.map((policyName) => ({ policyName, policyArn: arns.policy(policyName) })),
    nextMarker: page.next,
  };
}

export const policyRoutes = (deps: ControlPlaneDeps): Route[] => [
  {
    method: 'post',
    path: '/policies/:policyName',
    operation: 'CreatePolicy',
    handle: (r) => create(deps, r),
  },
  { method: 'get', path: '/policies/:policyName', operation: 'GetPolicy', handle: (r) => get(deps, r) },
  {
    method: 'post',
    path: '/target-policies/:policyName',
    operation: 'DetachPolicy',
    handle: (r) => detach(deps, r),
  },
  {
    method: 'post',
    path: '/attached-policies/:target',
    operation: 'ListAttachedPolicies',
    handle: (r) => listAttached(deps, r),
  },
];
