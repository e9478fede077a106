import { IN_FLIGHT } from '@claimline/device-ledger';
import type { HandlerContext } from '../../http/route.js';
import { requireStation } from './station-identity.js';

type Row = {
  id: string;
  external_ref: string;
  created_at: Date;
  total: number;
  provisioning: number;
  available: number;
  awaiting_csr: number;
  downloaded: number;
  burned: number;
  burn_failed: number;
  burned_total: number;
  other_stations: number;
};

const MAX_BATCHES = 200;

/**
 * The batches this station may serve (assigned to it, or to nobody when API_STATIONS_SERVE_ANY_BATCH),
 * newest first, with the
 * counts an operator needs: what is left to take, what this station holds, burned and failed.
 */
export async function stationBatches(ctx: HandlerContext) {
  const station = await requireStation(ctx);
  const rows = await ctx.deps.prisma.$queryRawUnsafe<Row[]>(
    `SELECT b.id::text AS id, b.external_ref, b.created_at,
            count(d.id)::int AS total,
            count(d.id) FILTER (WHERE d.state = ANY($2::text[]::"DeviceState"[]))::int AS provisioning,
            count(d.id) FILTER (WHERE d.state = 'REGISTERED' AND d.downloaded_by_station_id IS NULL)::int AS available,
            count(d.id) FILTER (WHERE d.state = 'AWAITING_CSR')::int AS awaiting_csr,
            count(d.id) FILTER (WHERE d.state = 'DOWNLOADED' AND d.downloaded_by_station_id = $1::uuid)::int AS downloaded,
            count(d.id) FILTER (WHERE d.state = 'BURNED' AND d.downloaded_by_station_id = $1::uuid)::int AS burned,
            count(d.id) FILTER (WHERE d.state = 'BURN_FAILED' AND d.downloaded_by_station_id = $1::uuid)::int AS burn_failed,
            count(d.id) FILTER (WHERE d.state = 'BURNED')::int AS burned_total,
            count(d.id) FILTER (WHERE d.state IN ('DOWNLOADED', 'BURN_FAILED') AND d.downloaded_by_station_id <> $1::uuid)::int AS other_stations
       FROM batch b JOIN device d ON d.batch_id = b.id
      WHERE b.cancelled_at IS NULL
        AND (EXISTS (SELECT 1 FROM batch_station s WHERE s.batch_id = b.id AND s.station_id = $1::uuid)
             OR ($3::boolean AND NOT EXISTS (SELECT 1 FROM batch_station s WHERE s.batch_id = b.id)))
      GROUP BY b.id ORDER BY b.created_at DESC LIMIT ${MAX_BATCHES}`,
    station.id,
    IN_FLIGHT,
    ctx.deps.config.API_STATIONS_SERVE_ANY_BATCH,
  );
  return {
    station: {
      id: station.id,
      name: station.name,
      line: station.line,
      hasPublicKey: station.publicKey !== null,
    },
    items: rows.map((r) => ({
      id: r.id,
      externalRef: r.external_ref,
      createdAt: r.created_at.toISOString(),
      counts: {
        total: r.total,
        provisioning: r.provisioning,
        available: r.available,
        awaitingCsr: r.awaiting_csr,
        downloadedHere: r.downloaded,
        burnedHere: r.burned,
        burnFailedHere: r.burn_failed,
        burnedTotal: r.burned_total,
        heldByOtherStations: r.other_stations,
      },
    })),
  };
}
