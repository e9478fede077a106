import type { PrismaClient } from '@claimline/db';
import { certificateStatuses, type ReconcileAws } from './aws-view.js';
import { FINDING_KINDS, findingsOf, type Finding, type FindingKind, type UnitRecord } from './findings.js';

export type ReconcileOptions = {
  /** Only the units of this batch. */
  batchId?: string;
  /** ListThingPrincipals calls in flight at once (the control-plane quota paces them further). */
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
 */
export async function reconcile(
  prisma: PrismaClient,
  aws: ReconcileAws,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const now = options.now ?? (() => new Date());
  const { statuses, calls: listCertificates } = await certificateStatuses(aws);
  const findings: Finding[] = [];
  let units = 0;
  let listThingPrincipals = 0;
  for await (const chunk of unitsOf(prisma, options.batchId)) {
    units += chunk.length;
    const principals = await mapLimited(chunk, options.concurrency ?? 16, async (unit) => {
      if (unit.thingName === null) return null;
      listThingPrincipals += 1;
      return aws.listThingPrincipals(unit.thingName);
    });
    chunk.forEach((unit, i) => findings.push(...findingsOf(unit, statuses, principals[i])));
    options.onProgress?.({ units, findings: findings.length });
  }
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
