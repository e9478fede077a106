import { Agent } from 'node:https';
import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Redis } from 'ioredis';
import { createCallQuota, type CallQuota } from '@claimline/call-quota';
import { toControlPlaneError } from './control-plane-error.js';
import type { ControlPlaneLimits, ControlPlaneOperation } from './operations.js';
import type { ControlPlaneSettings } from './settings.js';

export type CertificateStatus =
  'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export type CertificateDescription = {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
};

export type CertificateSummary = CertificateDescription & { creationDate?: Date };

export type Page<T> = { items: T[]; next?: string };

/**
 * The AWS IoT control plane as claimline uses it. Every call first takes a slot of its operation's
 * quota (Redis, shared by every process on every host), then is sent once: the SDK's own retries are
 * off so that every request AWS sees was counted, and the caller (a queue job) retries with back-off.
 * Failures are thrown as `ControlPlaneError` (`kind`, `retryable`).
 */
export type ControlPlane = {
  readonly source: 'emulator' | 'aws';
  /** undefined when AWS does not know the certificate. */
  describeCertificate(certificateId: string): Promise<CertificateDescription | undefined>;
  /** The things a certificate is attached to (every page). Empty when the certificate does not exist. */
  listPrincipalThings(certificateArn: string): Promise<string[]>;
  /** The principals (certificate ARNs) of a thing (every page); undefined when the thing does not exist. */
  listThingPrincipals(thingName: string): Promise<string[] | undefined>;
  listCertificates(page?: { marker?: string; pageSize?: number }): Promise<Page<CertificateSummary>>;
  /** false when the certificate does not exist. */
  updateCertificate(certificateId: string, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED'): Promise<boolean>;
  /** false when it was already gone. */
  deleteCertificate(certificateId: string): Promise<boolean>;
  /** false when the thing or the certificate does not exist (nothing to detach). */
  detachThingPrincipal(thingName: string, certificateArn: string): Promise<boolean>;
  /** Policy names attached to a certificate (every page); empty when it does not exist. */
  listAttachedPolicies(certificateArn: string): Promise<string[]>;
  detachPolicy(policyName: string, certificateArn: string): Promise<boolean>;
  close(): void;
};

export type ControlPlaneOptions = {
  settings: ControlPlaneSettings;
  /** The quotas' Redis connection (its owner closes it). */
  redis: Redis;
  keyPrefix: string;
  limits: ControlPlaneLimits;
  guardMs: number;
  onWait?: (operation: ControlPlaneOperation, waitedMs: number) => void;
  /** Told about every call AWS answered or refused, for metrics. */
  onCall?: (operation: ControlPlaneOperation, outcome: string) => void;
};

const PAGE_SIZE = 250;

/**
 * Counts the TLS connections it opens: a call during which one was opened may have waited for its
 * handshake between its quota slot and its arrival at AWS, longer than the quota's guard.
 */
class CountingAgent extends Agent {
  opened = 0;
  override createConnection(...args: Parameters<Agent['createConnection']>) {
    this.opened += 1;
    return super.createConnection(...args);
  }
}

export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { settings } = options;
  const agent = new CountingAgent({ keepAlive: true, ...(settings.ca ? { ca: settings.ca } : {}) });
  const client = new IoTClient({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpsAgent: agent,
      connectionTimeout: settings.timeoutMs,
      requestTimeout: settings.timeoutMs,
    }),
  });
  const quota: CallQuota<ControlPlaneOperation> = createCallQuota({
    redis: options.redis,
    keyPrefix: `${options.keyPrefix}:control-plane`,
    limits: options.limits,
    guardMs: options.guardMs,
    onWait: options.onWait,
  });

  async function call<T>(operation: ControlPlaneOperation, send: () => Promise<T>): Promise<T> {
    const slot = await quota.take(operation);
    const openedBefore = agent.opened;
    try {
      const result = await send();
      options.onCall?.(operation, 'ok');
      return result;
    } catch (error) {
      const failure = toControlPlaneError(operation, error);
      options.onCall?.(operation, failure.kind);
      throw failure;
    } finally {
      // A connection opened meanwhile (this call's or another's): count the slot as of its answer.
      if (agent.opened !== openedBefore) await slot.restamp().catch(() => undefined);
    }
  }

  /** A call whose "not found" is an answer, not a failure. */
  async function unlessMissing<T, M>(
    operation: ControlPlaneOperation,
    send: () => Promise<T>,
    missing: M,
  ): Promise<T | M> {
    try {
      return await call(operation, send);
    } catch (error) {
      if (error instanceof Error && 'kind' in error && error.kind === 'not-found') return missing;
      throw error;
    }
  }

  async function allPages<T>(fetchPage: (token?: string) => Promise<Page<T>>): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await fetchPage(token);
      items.push(...page.items);
      token = page.next;
    } while (token);
    return items;
  }

  return {
    source: settings.source,
    async describeCertificate(certificateId) {
      const out = await unlessMissing(
        'DescribeCertificate',
        () => client.send(new DescribeCertificateCommand({ certificateId })),
        undefined,
      );
      const d = out?.certificateDescription;
      if (!d?.certificateId || !d.certificateArn || !d.status) return undefined;
      return { certificateId: d.certificateId, certificateArn: d.certificateArn, status: d.status };
    },
    listPrincipalThings: (principal) =>
      allPages(async (nextToken) => {
        const out = await unlessMissing(
          'ListPrincipalThings',
          () => client.send(new ListPrincipalThingsCommand({ principal, nextToken, maxResults: PAGE_SIZE })),
          undefined,
        );
        return { items: out?.things ?? [], next: out?.nextToken };
      }),
    async listThingPrincipals(thingName) {
      let exists = true;
      const principals = await allPages(async (nextToken) => {
        const out = await unlessMissing(
          'ListThingPrincipals',
          () => client.send(new ListThingPrincipalsCommand({ thingName, nextToken, maxResults: PAGE_SIZE })),
          undefined,
        );
        if (!out) exists = false;
        return { items: out?.principals ?? [], next: out?.nextToken };
      });
      return exists ? principals : undefined;
    },
    async listCertificates(page = {}) {
      const out = await call('ListCertificates', () =>
        client.send(
          new ListCertificatesCommand({
            marker: page.marker,
            pageSize: page.pageSize ?? PAGE_SIZE,
            ascendingOrder: true,
          }),
        ),
      );
      const items = (out.certificates ?? []).flatMap((c) =>
        c.certificateId && c.certificateArn && c.status
          ? [
              {
                certificateId: c.certificateId,
                certificateArn: c.certificateArn,
                status: c.status,
                creationDate: c.creationDate,
              },
            ]
          : [],
      );
      return { items, next: out.nextMarker };
    },
    updateCertificate: (certificateId, newStatus) =>
      unlessMissing(
        'UpdateCertificate',
        () => client.send(new UpdateCertificateCommand({ certificateId, newStatus })).then(() => true),
        false,
      ),
    deleteCertificate: (certificateId) =>
      unlessMissing(
        'DeleteCertificate',
        () => client.send(new DeleteCertificateCommand({ certificateId })).then(() => true),
        false,
      ),
    detachThingPrincipal: (thingName, principal) =>
      unlessMissing(
        'DetachThingPrincipal',
        () => client.send(new DetachThingPrincipalCommand({ thingName, principal })).then(() => true),
        false,
      ),
    listAttachedPolicies: (target) =>
      allPages(async (marker) => {
        const out = await unlessMissing(
          'ListAttachedPolicies',
          () =>
            client.send(
              new ListAttachedPoliciesCommand({ target, marker, pageSize: PAGE_SIZE, recursive: false }),
            ),
          undefined,
        );
        return {
          items: (out?.policies ?? []).flatMap((p) => (p.policyName ? [p.policyName] : [])),
          next: out?.nextMarker,
        };
      }),
    detachPolicy: (policyName, target) =>
      unlessMissing(
        'DetachPolicy',
        () => client.send(new DetachPolicyCommand({ policyName, target })).then(() => true),
        false,
      ),
    close() {
      client.destroy();
      agent.destroy();
    },
  };
}
