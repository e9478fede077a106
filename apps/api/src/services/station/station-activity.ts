import type { Prisma, PrismaClient } from '@claimline/db';
import { batchState, type BatchState } from '../batch-view.js';

export type StationActivity = {
  name: string;
  line: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** The last time one of the station's keys was used (recorded at most once a minute per key). */
  lastSeenAt: string | null;
  lastHour: { downloaded: number; burned: number; burnFailed: number };
  burnFailures: number;
  assignedBatches: { id: string; externalRef: string; state: BatchState }[];
};

type ActivityRow = {
  stationId: string;
  downloaded: number;
  burned: number;
  burnFailed: number;
  burnFailures: number;
};

/**
 * Every station with what the line supervisor looks for: last seen, units downloaded, burned and failed
 * to burn in the last hour, burn failures overall, and the batches it is assigned to (only those the
 * caller may see). One query for the counts; it reads every device ever downloaded (no index covers
 * these columns yet: an index on device would slow every batch insert; partial indexes are the way).
 */
export async function stationActivity(
  prisma: PrismaClient,
  visibleBatches: Prisma.BatchWhereInput,
): Promise<StationActivity[]> {
  const [stations, activity] = await Promise.all([
    prisma.station.findMany({
      orderBy: { name: 'asc' },
      include: {
        apiKeys: { select: { lastUsedAt: true } },
        batches: { where: { batch: visibleBatches }, include: { batch: true } },
      },
    }),
    prisma.$queryRawUnsafe<ActivityRow[]>(
      `SELECT downloaded_by_station_id::text AS "stationId",
              count(*) FILTER (WHERE downloaded_at > now() - interval '1 hour')::int AS downloaded,
              count(*) FILTER (WHERE burned_at > now() - interval '1 hour')::int AS burned,
              count(*) FILTER (WHERE burn_failed_at > now() - interval '1 hour')::int AS "burnFailed",
              count(*) FILTER (WHERE state = 'BURN_FAILED')::int AS "burnFailures"
         FROM device WHERE downloaded_by_station_id IS NOT NULL
        GROUP BY downloaded_by_station_id`,
    ),
  ]);
  const byStation = new Map(activity.map((row) => [row.stationId, row]));
  return stations.map((station) => {
    const row = byStation.get(station.id);
    const seen = station.apiKeys.map((k) => k.lastUsedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
    return {
      name: station.name,
      line: station.line,
      createdAt: station.createdAt.toISOString(),
      revokedAt: station.revokedAt?.toISOString() ?? null,
      lastSeenAt: seen > 0 ? new Date(seen).toISOString() : null,
      lastHour: {
        downloaded: row?.downloaded ?? 0,
        burned: row?.burned ?? 0,
        burnFailed: row?.burnFailed ?? 0,
      },
      burnFailures: row?.burnFailures ?? 0,
      assignedBatches: station.batches
        .map(({ batch }) => ({ id: batch.id, externalRef: batch.externalRef, state: batchState(batch) }))
        .sort((a, b) => a.externalRef.localeCompare(b.externalRef)),
    };
  });
}
