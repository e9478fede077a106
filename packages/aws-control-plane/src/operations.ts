import type { ControlPlaneConfig } from '@claimline/config';

/** The control-plane operations claimline calls, each under its own per-second quota. */
export const CONTROL_PLANE_OPERATIONS = [
  'DescribeCertificate',
  'ListPrincipalThings',
  'ListThingPrincipals',
  'ListCertificates',
  'UpdateCertificate',
  'DeleteCertificate',
  'DetachThingPrincipal',
  'ListAttachedPolicies',
  'DetachPolicy',
] as const;

export type ControlPlaneOperation = (typeof CONTROL_PLANE_OPERATIONS)[number];

export type ControlPlaneLimits = Record<ControlPlaneOperation, number>;

/** The per-operation limits from the configuration (`CONTROL_PLANE_QUOTA_*_PER_SECOND`). */
export const limitsOf = (config: ControlPlaneConfig): ControlPlaneLimits => ({
  DescribeCertificate: config.CONTROL_PLANE_QUOTA_DESCRIBE_CERTIFICATE_PER_SECOND,
  ListPrincipalThings: config.CONTROL_PLANE_QUOTA_LIST_PRINCIPAL_THINGS_PER_SECOND,
  ListThingPrincipals: config.CONTROL_PLANE_QUOTA_LIST_THING_PRINCIPALS_PER_SECOND,
  ListCertificates: config.CONTROL_PLANE_QUOTA_LIST_CERTIFICATES_PER_SECOND,
  UpdateCertificate: config.CONTROL_PLANE_QUOTA_UPDATE_CERTIFICATE_PER_SECOND,
  DeleteCertificate: config.CONTROL_PLANE_QUOTA_DELETE_CERTIFICATE_PER_SECOND,
  DetachThingPrincipal: config.CONTROL_PLANE_QUOTA_DETACH_THING_PRINCIPAL_PER_SECOND,
  ListAttachedPolicies: config.CONTROL_PLANE_QUOTA_LIST_ATTACHED_POLICIES_PER_SECOND,
  DetachPolicy: config.CONTROL_PLANE_QUOTA_DETACH_POLICY_PER_SECOND,
});
