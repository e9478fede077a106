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

/**
 * Four small queries on the (batch_id, state) index: counts per state, devices that ended in the last
 * minute, the five commonest error codes, orphaned certificates. Marks the batch finished the first time nothing is in flight
 * (the worker may set finished_at too; whoever sees it first wins).
 */
export async function batchProgress(prisma: PrismaClient, batch: Batch): Promise<BatchProgress> {
  const [countRows, recentRows, errorRows, orphanRows] = await Promise.all([
    prisma.$queryRawUnsafe<{ state: DeviceStateName; n: number }[]>(
      'SELECT state::text AS state, count(*)::int AS n FROM device WHERE batch_id = $1::uuid GROUP BY state',
      batch.id,
    ),
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM device WHERE batch_id = $1::uuid
         AND greatest(registered_at, failed_at) > now() - interval '1 minute'`,
      batch.id,
    ),
    prisma.$queryRawUnsafe<{ code: string; count: number }[]>(
      `SELECT last_error_code AS code, count(*)::int AS count FROM device
        WHERE batch_id = $1::uuid AND last_error_code IS NOT NULL
        GROUP BY last_error_code ORDER BY count(*) DESC, last_error_code LIMIT 5`,
      batch.id,
    ),
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM certificate c JOIN device d ON d.id = c.device_id
        WHERE d.batch_id = $1::uuid AND c.status = 'ORPHANED'`,
      batch.id,
    ),
  ]);
  const counts: Partial<Record<DeviceStateName, number>> = {};
  let total = 0;
  for (const row of countRows) {
    counts[row.state] = row.n;
    total += row.n;
  }
  // Units waiting for their CSR (device-csr) are not done either: the batch is open until each is served.
  const inFlight = UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  const done = total - inFlight;
  const throughput = recentRows[0]?.n ?? 0;
  const finished = inFlight === 0;
  if (finished && !batch.finishedAt) {
    await prisma.batch.updateMany({
      where: { id: batch.id, finishedAt: null },
      data: { finishedAt: new Date() },
    });
  }
  return {
    total,
    counts,
    done,
    progressPercent: total === 0 ? 100 : Math.round((done / total) * 1000) / 10,
    throughputPerMinute: throughput,
    etaSeconds: finished ? 0 : throughput > 0 ? Math.ceil((inFlight / throughput) * 60) : null,
    topErrors: errorRows,
    orphanedCertificates: orphanRows[0]?.n ?? 0,
    finished,
  };
}
