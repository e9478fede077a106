import { arns, EMULATED_ACCOUNT_ID } from '../aws-arns.js';
import { x509 } from '../pki/x509.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { CertificateRecord, CertificateStatus } from '../registry/types.js';
import type { ControlPlaneDeps } from './deps.js';
import { IotError, notFound } from './iot-error.js';
import { members, queryMember, requiredMember, type OperationRequest, type Route } from './inputs.js';
import { compareStrings, markerPaging, pageOf } from './paging.js';
import { thingsOfCertificate } from './things.js';

const seconds = (iso: string) => new Date(iso).getTime() / 1000;

function certificateOf(store: RegistryStore, request: OperationRequest): CertificateRecord {
  const certificateId = requiredMember(members.certificateId, 'certificateId', request.params.certificateId);
  const cert = store.certificates.get(certificateId.toLowerCase());
  if (!cert) throw notFound(`The certificate ${certificateId} does not exist.`);
  return cert;
}

/**
 * Sets a certificate's status, persists it, and closes its live connections when it is no longer
 * ACTIVE (AWS closes them within minutes; the emulator at once). The one way a status changes after
 * provisioning: UpdateCertificate and the admin API's revoke both come here.
 */
export function changeCertificateStatus(
  deps: Pick<ControlPlaneDeps, 'store' | 'disconnectCertificate'>,
  certificateId: string,
  status: CertificateStatus,
): boolean {
  const cert = deps.store.certificates.get(certificateId);
  if (!cert) return false;
  deps.store.certificates.set(certificateId, { ...cert, status, lastModifiedAt: new Date().toISOString() });
  deps.store.changed();
  if (status !== 'ACTIVE') deps.disconnectCertificate(certificateId);
  return true;
}

function describe(cert: CertificateRecord) {
  const parsed = new x509.X509Certificate(cert.certificatePem);
  return {
    certificateArn: arns.certificate(cert.certificateId),
    certificateId: cert.certificateId,
    status: cert.status,
    certificatePem: cert.certificatePem,
    ownedBy: EMULATED_ACCOUNT_ID,
    creationDate: seconds(cert.createdAt),
    lastModifiedDate: seconds(cert.lastModifiedAt ?? cert.createdAt),
    customerVersion: 1,
    validity: { notBefore: parsed.notBefore.getTime() / 1000, notAfter: parsed.notAfter.getTime() / 1000 },
    certificateMode: 'DEFAULT',
  };
}

function update(deps: ControlPlaneDeps, request: OperationRequest) {
  const cert = certificateOf(deps.store, request);
  const newStatus = requiredMember(
    members.certificateStatus,
    'newStatus',
    request.query.get('newStatus') ?? undefined,
  );
  if (
    newStatus === 'PENDING_TRANSFER' ||
    newStatus === 'PENDING_ACTIVATION' ||
    newStatus === 'REGISTER_INACTIVE'
  )
    throw new IotError('CertificateStateException', `The certificate status cannot be set to ${newStatus}.`);
  if (cert.status === 'REVOKED' && newStatus !== 'REVOKED')
    throw new IotError('CertificateStateException', `The certificate ${cert.certificateId} is revoked.`);
  changeCertificateStatus(deps, cert.certificateId, newStatus);
  return {};
}

/** AWS's order of refusals: still ACTIVE, still attached to a thing, policies (unless forceDelete). */
function remove(deps: ControlPlaneDeps, request: OperationRequest) {
  const cert = certificateOf(deps.store, request);
  const force = queryMember(request, members.boolean, 'forceDelete') ?? false;
  const arn = arns.certificate(cert.certificateId);
  if (cert.status === 'ACTIVE')
    throw new IotError(
      'CertificateStateException',
      `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${cert.certificateId}`,
    );
  if (thingsOfCertificate(deps.store, cert.certificateId).length > 0)
    throw new IotError('DeleteConflictException', `Things must be detached before deletion (arn: ${arn})`);
  if (cert.policyNames.length > 0 && !force)
    throw new IotError(
      'DeleteConflictException',
      `Certificate policies must be detached before deletion (arn: ${arn})`,
    );
  deps.store.certificates.delete(cert.certificateId);
  deps.store.changed();
  return {};
}

function list(deps: ControlPlaneDeps, request: OperationRequest) {
  const ascending = queryMember(request, members.boolean, 'isAscendingOrder') ?? false;
  const { token, size } = markerPaging(request);
  const key = (cert: CertificateRecord) => `${cert.createdAt}|${cert.certificateId}`;
  const sorted = [...deps.store.certificates.values()].sort((a, b) =>
    ascending ? compareStrings(key(a), key(b)) : compareStrings(key(b), key(a)),
  );
  const page = pageOf(sorted, key, token, size, !ascending);
  return {
    certificates: page.items.map((cert) => ({
      certificateArn: arns.certificate(cert.certificateId),
      certificateId: cert.certificateId,
      status: cert.status,
      certificateMode: 'DEFAULT',
      creationDate: seconds(cert.createdAt),
    })),
    nextMarker: page.next,
  };
}

export const certificateRoutes = (deps: ControlPlaneDeps): Route[] => [
  { method: 'get', path: '/certificates', operation: 'ListCertificates', handle: (r) => list(deps, r) },
  {
    method: 'get',
    path: '/certificates/:certificateId',
    operation: 'DescribeCertificate',
    handle: (r) => ({ certificateDescription: describe(certificateOf(deps.store, r)) }),
  },
  {
    method: 'put',
    path: '/certificates/:certificateId',
    operation: 'UpdateCertificate',
    handle: (r) => update(deps, r),
  },
  {
    method: 'delete',
    path: '/certificates/:certificateId',
    operation: 'DeleteCertificate',
    handle: (r) => remove(deps, r),
  },
];
