import type { Batch, PrismaClient } from '@claimline/db';

export type ThroughputBucket = { at: string; registered: number; failed: number };
export type FailureGroup = { code: string; count: number; retryable: boolean | null; serials: string[] };
export type OrphanedCertificate = { certificateId: string; serial: string; orphanedAt: string | null };

const SAMPLE_SERIALS = 5;
const ORPHANS_SHOWN = 100;

/**
 * Devices that ended (registered or failed) per time bucket since the batch was created: two index
 * ranges of the batch's rows, binned in Postgres.
 */
export async function batchThroughput(
  prisma: PrismaClient,
  batch: Batch,
  bucketSeconds: number,
): Promise<ThroughputBucket[]> {
  const rows = await prisma.$queryRawUnsafe<{ at: Date; registered: number; failed: number }[]>(
    `SELECT date_bin(make_interval(secs => $2), t, $3::timestamptz) AS at,
            count(*) FILTER (WHERE kind = 'r')::int AS registered,
            count(*) FILTER (WHERE kind = 'f')::int AS failed
       FROM (SELECT registered_at AS t, 'r' AS kind FROM device
              WHERE batch_id = $1::uuid AND registered_at IS NOT NULL
             UNION ALL
             SELECT failed_at, 'f' FROM device WHERE batch_id = $1::uuid AND failed_at IS NOT NULL) ended
      GROUP BY 1 ORDER BY 1`,
    batch.id,
    bucketSeconds,
    batch.createdAt,
  );
  return rows.map((r) => ({ at: r.at.toISOString(), registered: r.registered, failed: r.failed }));
}

/**
 * The batch's FAILED devices grouped by their last (AWS) error code, with a few serials each, and its
 * orphaned certificates (ids and serials only, never key material).
 */
export async function batchFailures(prisma: PrismaClient, batch: Batch) {
  const [groups, orphans, orphanCount] = await Promise.all([
    prisma.$queryRawUnsafe<FailureGroup[]>(
      `SELECT coalesce(last_error_code, 'UNKNOWN') AS code, count(*)::int AS count,
              bool_or(last_error_retryable) AS retryable,
              (array_agg(serial ORDER BY serial))[1:${SAMPLE_SERIALS}] AS serials
         FROM device WHERE batch_id = $1::uuid AND state = 'FAILED'
        GROUP BY 1 ORDER BY count(*) DESC, 1`,
      batch.id,
    ),
    prisma.$queryRawUnsafe<{ certificateId: string; serial: string; orphanedAt: Date | null }[]>(
      `SELECT c.certificate_id AS "certificateId", d.serial, c.orphaned_at AS "orphanedAt"
         FROM certificate c JOIN device d ON d.id = c.device_id
        WHERE d.batch_id = $1::uuid AND c.status = 'ORPHANED'
        ORDER BY c.orphaned_at DESC NULLS LAST, c.certificate_id LIMIT ${ORPHANS_SHOWN}`,
      batch.id,
    ),
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM certificate c JOIN device d ON d.id = c.device_id
        WHERE d.batch_id = $1::uuid AND c.status = 'ORPHANED'`,
      batch.id,
    ),
  ]);
  return {
    failed: groups.reduce((sum, g) => sum + g.count, 0),
    byCode: groups,
    orphanedCertificates: {
      total: orphanCount[0]?.n ?? 0,
      items: orphans.map((o) => ({ ...o, orphanedAt: o.orphanedAt?.toISOString() ?? null })),
    },
  };
}
