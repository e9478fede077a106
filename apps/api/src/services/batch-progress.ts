import type { Batch, PrismaClient } from '@claimline/db';
import { UNFINISHED } from '@claimline/device-ledger';
import type { DeviceStateName } from '../schemas/common.js';

export type BatchProgress = {
  total: number;
  counts: Partial<Record<DeviceStateName, number>>;
  done: number;
  progressPercent: number;
  throughputPerMinute: number;
  etaSeconds: number | null;
  topErrors: { code: string; count: number }[];
  /** Certificates AWS issued for this batch that were never registered (AWS deletes them after an hour). */
  orphanedCertificates: number;
  finished: boolean;
};

type Row<T> = T & { batchId: string };

/**
 * The progress of one batch; see batchesProgress.
 */
export async function batchProgress(prisma: PrismaClient, batch: Batch): Promise<BatchProgress> {
  const progress = await batchesProgress(prisma, [batch]);
  return progress.get(batch.id)!;
}

/**
 * Four queries on the (batch_id, state) index for any number of batches (a whole list costs what one
 * batch does): counts per state, devices that ended in the last minute, the five commonest error codes,
 * orphaned certificates. Marks a batch finished the first time nothing is in flight (the worker may set
 * finished_at too; whoever sees it first wins).
 */
export async function batchesProgress(
  prisma: PrismaClient,
  batches: Batch[],
): Promise<Map<string, BatchProgress>> {
  const ids = batches.map((b) => b.id);
  if (ids.length === 0) return new Map();
  const [countRows, recentRows, errorRows, orphanRows] = await Promise.all([
    prisma.$queryRawUnsafe<Row<{ state: DeviceStateName; n: number }>[]>(
      `SELECT batch_id::text AS "batchId", state::text AS state, count(*)::int AS n FROM device
        WHERE batch_id = ANY($1::uuid[]) GROUP BY batch_id, state`,
      ids,
    ),
    prisma.$queryRawUnsafe<Row<{ n: number }>[]>(
      `SELECT batch_id::text AS "batchId", count(*)::int AS n FROM device WHERE batch_id = ANY($1::uuid[])
         AND greatest(registered_at, failed_at) > now() - interval '1 minute' GROUP BY batch_id`,
      ids,
    ),
    prisma.$queryRawUnsafe<Row<{ code: string; count: number }>[]>(
      `SELECT "batchId", code, count FROM (
         SELECT batch_id::text AS "batchId", last_error_code AS code, count(*)::int AS count,
                row_number() OVER (PARTITION BY batch_id ORDER BY count(*) DESC, last_error_code) AS rank
           FROM device WHERE batch_id = ANY($1::uuid[]) AND last_error_code IS NOT NULL
          GROUP BY batch_id, last_error_code) ranked
        WHERE rank <= 5 ORDER BY "batchId", rank`,
      ids,
    ),
    prisma.$queryRawUnsafe<Row<{ n: number }>[]>(
      `SELECT d.batch_id::text AS "batchId", count(*)::int AS n FROM certificate c
         JOIN device d ON d.id = c.device_id
        WHERE d.batch_id = ANY($1::uuid[]) AND c.status = 'ORPHANED' GROUP BY d.batch_id`,
      ids,
    ),
  ]);
  const result = new Map<string, BatchProgress>();
  for (const batch of batches) {
    const counts: Partial<Record<DeviceStateName, number>> = {};
    let total = 0;
    for (const row of countRows) {
      if (row.batchId !== batch.id) continue;
      counts[row.state] = row.n;
      total += row.n;
    }
    // Units waiting for their CSR (device-csr) are not done either: the batch is open until each is served.
    const inFlight = UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    const done = total - inFlight;
    const throughput = recentRows.find((r) => r.batchId === batch.id)?.n ?? 0;
    const finished = inFlight === 0;
    result.set(batch.id, {
      total,
      counts,
      done,
      progressPercent: total === 0 ? 100 : Math.round((done / total) * 1000) / 10,
      throughputPerMinute: throughput,
      etaSeconds: finished ? 0 : throughput > 0 ? Math.ceil((inFlight / throughput) * 60) : null,
      topErrors: errorRows.filter((r) => r.batchId === batch.id).map(({ code, count }) => ({ code, count })),
      orphanedCertificates: orphanRows.find((r) => r.batchId === batch.id)?.n ?? 0,
      finished,
    });
  }
  const newlyFinished = batches.filter((b) => !b.finishedAt && result.get(b.id)!.finished).map((b) => b.id);
  if (newlyFinished.length > 0) {
    await prisma.batch.updateMany({
      where: { id: { in: newlyFinished }, finishedAt: null },
      data: { finishedAt: new Date() },
    });
  }
  return result;
}
