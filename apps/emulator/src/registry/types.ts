import type { CertificateStatus, Policy } from '@claimline/provisioning-template';

export type { CertificateStatus, Policy };

export type CertificateRecord = {
  certificateId: string;
  status: CertificateStatus;
  certificatePem: string;
  thingName?: string;
  policyNames: string[];
  createdAt: string;
  /** The last status change (UpdateCertificate); absent until there is one. */
  lastModifiedAt?: string;
};

export type Thing = {
  thingName: string;
  attributes: Record<string, string>;
  thingTypeName?: string;
  thingGroups: string[];
  billingGroup?: string;
  certificateIds: string[];
  version: number;
  createdAt: string;
};

export type OwnershipToken = { token: string; certificateId: string; expiresAt: number };

/** Calls per operation in one epoch second. */
export type CounterSecond = { second: number; counts: Record<string, number> };
