import type { PrismaClient } from '@claimline/db';
import { certificateStatuses, type ReconcileAws } from './aws-view.js';
import { FINDING_KINDS, findingsOf, type Finding, type FindingKind, type UnitRecord } from './findings.js';

export type ReconcileOptions = {
  /** Only the units of this batch. */
  batchId?: string;
  /**
   * ListThingPrincipals calls in flight at once (the control-plane quota paces them further); default
   * 16. `principalListingsInFlight` derives it from the quota.
   */
  concurrency?: number;
  now?: () => Date;
  /** Called after each chunk of units (1,000) with the units checked so far and the findings. */
  onProgress?: (progress: { units: number; findings: number }) => void;
};

export type ReconcileReport = {
  generatedAt: string;
  batchId: string | null;
  units: number;
  /** AWS calls this run made, and per unit (the paged certificate listing is shared by every unit). */
  awsCalls: { listCertificates: number; listThingPrincipals: number; perUnit: number };
  counts: Record<FindingKind, number>;
  findings: Finding[];
};

const CHUNK = 1_000;
const DEFAULT_IN_FLIGHT = 16;
const MAX_IN_FLIGHT = 100;
/** The slowest ListThingPrincipals answer (s) the derived concurrency still fills the quota at. */
const SLOW_CALL_SECONDS = 0.25;

/**
 * ListThingPrincipals calls to keep in flight so that a quota of `perSecond` stays full while each call
 * takes up to SLOW_CALL_SECONDS (AWS's regional endpoint, a busy host): 25 at 100/s; never fewer than
 * the default 16, never more than 100 (sockets); 16 when the quota is off (0).
 */
export function principalListingsInFlight(perSecond: number): number {
  if (perSecond <= 0) return DEFAULT_IN_FLIGHT;
  return Math.min(MAX_IN_FLIGHT, Math.max(DEFAULT_IN_FLIGHT, Math.ceil(perSecond * SLOW_CALL_SECONDS)));
}

/** The units (with a thing name or a certificate), in chunks by id so 100,000 units never sit in one query. */
async function* unitsOf(prisma: PrismaClient, batchId: string | undefined): AsyncGenerator<UnitRecord[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await prisma.device.findMany({
      where: { ...(batchId ? { batchId } : {}), ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: 'asc' },
      take: CHUNK,
      select: {
        id: true,
        serial: true,
        thingName: true,
        certificates: { select: { certificateId: true, status: true } },
      },
    });
    if (rows.length === 0) return;
    after = rows.at(-1)?.id;
    yield rows.map((row) => ({
      serial: row.serial,
      thingName: row.thingName,
      certificates: row.certificates,
    }));
  }
}

/** Yields what `source` yields, reading the next item while the caller works on this one. */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = source.next();
    // Awaited on the next turn, where a failure surfaces; not an unhandled rejection meanwhile.
    next.catch(() => undefined);
    yield current.value;
  }
}

/** Runs `work` over `items` with at most `limit` at once, keeping the order of the results. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * For every unit: its thing exists and its only ACTIVE principal is the database's ACTIVE certificate;
 * REVOKED certificates are revoked at AWS; orphans are gone or inactive. AWS is asked with one paged
 * ListCertificates for the whole account and one ListThingPrincipals per unit that has a thing: a
 * little over one call per unit. Read-only: fixes are the maintenance queue's.
 *
 * Paced by the control plane's quotas, a run lasts units ÷ the ListThingPrincipals quota, so nothing
 * else may hold those calls up: the certificate listing (its own quota) runs while the first principals
 * are listed, and the next chunk of units is read from the database while this one's are.
 */
export async function reconcile(
  prisma: PrismaClient,
  aws: ReconcileAws,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const now = options.now ?? (() => new Date());
  const certificateListing = certificateStatuses(aws);
  // Awaited before the first findings, where a failure surfaces; not an unhandled rejection meanwhile.
  certificateListing.catch(() => undefined);
  const findings: Finding[] = [];
  let units = 0;
  let listThingPrincipals = 0;
  for await (const chunk of readAhead(unitsOf(prisma, options.batchId))) {
    units += chunk.length;
    const principals = await mapLimited(chunk, options.concurrency ?? DEFAULT_IN_FLIGHT, async (unit) => {
      if (unit.thingName === null) return null;
      listThingPrincipals += 1;
      return aws.listThingPrincipals(unit.thingName);
    });
    const { statuses } = await certificateListing;
    chunk.forEach((unit, i) => findings.push(...findingsOf(unit, statuses, principals[i])));
    options.onProgress?.({ units, findings: findings.length });
  }
  const { calls: listCertificates } = await certificateListing;
  const counts = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, 0])) as Record<FindingKind, number>;
  for (const finding of findings) counts[finding.kind] += 1;
  const calls = listCertificates + listThingPrincipals;
  return {
    generatedAt: now().toISOString(),
    batchId: options.batchId ?? null,
    units,
    awsCalls: { listCertificates, listThingPrincipals, perUnit: units === 0 ? 0 : calls / units },
    counts,
    findings,
  };
}
