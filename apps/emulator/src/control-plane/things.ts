import { createHash } from 'node:crypto';
import { arns, certificateIdOfArn } from '../aws-arns.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { Thing } from '../registry/types.js';
import type { ControlPlaneDeps } from './deps.js';
import { IotError, invalidRequest, notFound } from './iot-error.js';
import {
  members,
  principalHeader,
  queryMember,
  requiredMember,
  type OperationRequest,
  type Route,
} from './inputs.js';
import { compareStrings, pageOf, tokenPaging } from './paging.js';

/** The names of the things a certificate is attached to (a thing lists its certificates). */
export function thingsOfCertificate(store: RegistryStore, certificateId: string): string[] {
  return [...store.things.values()]
    .filter((thing) => thing.certificateIds.includes(certificateId))
    .map((thing) => thing.thingName)
    .sort(compareStrings);
}

const thingNameOf = (request: OperationRequest) =>
  requiredMember(members.thingName, 'thingName', request.params.thingName);

function thingOf(store: RegistryStore, request: OperationRequest): Thing {
  const thingName = thingNameOf(request);
  const thing = store.things.get(thingName);
  if (!thing) throw notFound(`Thing ${thingName} cannot be found.`);
  return thing;
}

/** The certificate a principal ARN names; only certificates of this account are principals here. */
function certificateOfPrincipal(store: RegistryStore, principal: string): string {
  const certificateId = certificateIdOfArn(principal);
  if (!certificateId)
    throw invalidRequest(`Principal ${principal} is not a certificate ARN of this account.`);
  if (!store.certificates.has(certificateId))
    throw notFound('The certificate given in the principal does not exist.');
  return certificateId;
}

/** A stable UUID-shaped id per thing (the registry keeps none). */
const thingIdOf = (thing: Thing) => {
  const hex = createHash('sha256').update(`${thing.thingName}\n${thing.createdAt}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

function describe(deps: ControlPlaneDeps, request: OperationRequest) {
  const thing = thingOf(deps.store, request);
  return {
    defaultClientId: thing.thingName,
    thingName: thing.thingName,
    thingId: thingIdOf(thing),
    thingArn: arns.thing(thing.thingName),
    thingTypeName: thing.thingTypeName,
    attributes: thing.attributes,
    version: thing.version,
    billingGroupName: thing.billingGroup,
  };
}

/** Deleting a thing that does not exist succeeds, as the model documents. */
function remove(deps: ControlPlaneDeps, request: OperationRequest) {
  const thingName = thingNameOf(request);
  const expectedVersion = queryMember(request, members.version, 'expectedVersion');
  const thing = deps.store.things.get(thingName);
  if (!thing) return {};
  if (expectedVersion !== undefined && expectedVersion !== thing.version)
    throw new IotError(
      'VersionConflictException',
      `The version for thing ${thingName} does not match the expected version.`,
    );
  if (thing.certificateIds.length > 0)
    throw invalidRequest(`Cannot delete. Thing ${thingName} is still attached to one or more principals`);
  deps.store.things.delete(thingName);
  deps.store.changed();
  return {};
}

/** Keeps a certificate's own `thingName` (what the broker and policies read) one of its things. */
function syncCertificateThing(store: RegistryStore, certificateId: string): void {
  const cert = store.certificates.get(certificateId);
  if (!cert) return;
  const things = thingsOfCertificate(store, certificateId);
  const thingName =
    cert.thingName !== undefined && things.includes(cert.thingName) ? cert.thingName : things[0];
  store.certificates.set(certificateId, { ...cert, thingName });
}

function attach(deps: ControlPlaneDeps, request: OperationRequest) {
  const thing = thingOf(deps.store, request);
  const certificateId = certificateOfPrincipal(deps.store, principalHeader(request));
  const type = queryMember(request, members.thingPrincipalType, 'thingPrincipalType');
  const others = thingsOfCertificate(deps.store, certificateId).filter((name) => name !== thing.thingName);
  if (type === 'EXCLUSIVE_THING' && others.length > 0)
    throw invalidRequest(`Principal is already attached to other things: ${others.join(', ')}`);
  if (!thing.certificateIds.includes(certificateId)) {
    deps.store.things.set(thing.thingName, {
      ...thing,
      certificateIds: [...thing.certificateIds, certificateId],
    });
    syncCertificateThing(deps.store, certificateId);
    deps.store.changed();
  }
  return {};
}

function detach(deps: ControlPlaneDeps, request: OperationRequest) {
  const thing = thingOf(deps.store, request);
  const certificateId = certificateOfPrincipal(deps.store, principalHeader(request));
  if (thing.certificateIds.includes(certificateId)) {
    deps.store.things.set(thing.thingName, {
      ...thing,
      certificateIds: thing.certificateIds.filter((id) => id !== certificateId),
    });
    syncCertificateThing(deps.store, certificateId);
    deps.store.changed();
  }
  return {};
}

function listPrincipals(deps: ControlPlaneDeps, request: OperationRequest) {
  const thing = thingOf(deps.store, request);
  const { token, size } = tokenPaging(request);
  const principals = thing.certificateIds.map(arns.certificate).sort(compareStrings);
  const page = pageOf(principals, (arn) => arn, token, size);
  return { principals: page.items, nextToken: page.next };
}

function listThings(deps: ControlPlaneDeps, request: OperationRequest) {
  const certificateId = certificateOfPrincipal(deps.store, principalHeader(request));
  const { token, size } = tokenPaging(request);
  const page = pageOf(thingsOfCertificate(deps.store, certificateId), (name) => name, token, size);
  return { things: page.items, nextToken: page.next };
}

export const thingRoutes = (deps: ControlPlaneDeps): Route[] => [
  {
    method: 'get',
    path: '/things/:thingName',
    operation: 'DescribeThing',
    handle: (r) => describe(deps, r),
  },
  {
    method: 'delete',
    path: '/things/:thingName',
    operation: 'DeleteThing',
    handle: (r) => remove(deps, r),
  },
  {
    method: 'get',
    path: '/things/:thingName/principals',
    operation: 'ListThingPrincipals',
    handle: (r) => listPrincipals(deps, r),
  },
  {
    method: 'put',
    path: '/things/:thingName/principals',
    operation: 'AttachThingPrincipal',
    handle: (r) => attach(deps, r),
  },
  {
    method: 'delete',
    path: '/things/:thingName/principals',
    operation: 'DetachThingPrincipal',
    handle: (r) => detach(deps, r),
  },
  {
    method: 'get',
    path: '/principals/things',
    operation: 'ListPrincipalThings',
    handle: (r) => listThings(deps, r),
  },
];
