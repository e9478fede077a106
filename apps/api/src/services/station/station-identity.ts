import type { Prisma, Station } from '@claimline/db';
import { appendAudit, type Db } from '@claimline/device-ledger';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';

const callingStation = new WeakMap<HandlerContext, Promise<Station>>();
/** The signing key a signed request's signature verified with (station-guard.ts). */
const signedWith = new WeakMap<HandlerContext, string>();

export function recordSigningKey(ctx: HandlerContext, pem: string): void {
  signedWith.set(ctx, pem);
}

/**
 * Every station read of a signed request passes here: the guard may have verified against a cached key,
 * so the station as the database has it now decides (revoked, or its signing key replaced since).
 */
export function assertStationStanding(ctx: HandlerContext, station: Station): void {
  if (station.revokedAt) throw new AppError('STATION_REVOKED', `station ${station.name} is revoked`);
  const pem = signedWith.get(ctx);
  if (pem !== undefined && station.signingPublicKey !== pem)
    throw new AppError(
      'SIGNATURE_INVALID',
      `the request was signed with a key that is no longer station ${station.name}'s signing key`,
    );
}

/**
 * The station behind the calling STATION key, refused at once when it is revoked. Loaded once per
 * request: the signature check and the handler share it. An ADMIN key (or a key without a station)
 * has no station to act as.
 */
export function requireStation(ctx: HandlerContext): Promise<Station> {
  let station = callingStation.get(ctx);
  if (!station) {
    station = loadStation(ctx);
    callingStation.set(ctx, station);
  }
  return station;
}

async function loadStation(ctx: HandlerContext): Promise<Station> {
  const { stationId } = ctx.principal;
  if (!stationId)
    throw new AppError(
      'NOT_A_STATION',
      `the ${ctx.principal.role} key ${ctx.principal.prefix} does not belong to a station`,
    );
  const station = await ctx.deps.prisma.station.findUnique({ where: { id: stationId } });
  if (!station) throw new AppError('NOT_A_STATION', 'the station of this key no longer exists');
  assertStationStanding(ctx, station);
  return station;
}

export function requirePublicKey(station: Station): string {
  if (!station.publicKey) {
    throw new AppError(
      'STATION_NO_PUBLIC_KEY',
      `station ${station.name} has no public key yet: run "claimline-station init" on the line PC`,
    );
  }
  return station.publicKey;
}

/**
 * A station serves only the batches assigned to it; a batch with no batch_station rows is served by
 * any station only when the deployment opts in (API_STATIONS_SERVE_ANY_BATCH).
 */
export function assertAssigned(
  station: Station,
  batchId: string,
  assigned: readonly { stationId: string }[],
  anyStation: boolean,
): void {
  const allowed =
    assigned.some((row) => row.stationId === station.id) || (anyStation && assigned.length === 0);
  if (!allowed) {
    throw new AppError(
      'STATION_NOT_ASSIGNED',
      `station ${station.name} is not assigned to batch ${batchId}; an admin assigns it with POST /v1/batches/${batchId}/stations`,
      { batchId },
    );
  }
}

export const stationActor = (station: Station) => `station:${station.name}`;

export type StationAuditEntry = {
  action: string;
  deviceId?: string;
  batchId?: string;
  details?: Prisma.InputJsonValue;
};

/** Audit events of a station carry its name as the actor and the calling key's prefix in the details. */
export async function auditStation(
  db: Db,
  ctx: HandlerContext,
  station: Station,
  entries: StationAuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await appendAudit(
    db,
    { actor: stationActor(station), origin: ctx.origin },
    entries.map((entry) => ({
      ...entry,
      details: {
        stationId: station.id,
        keyPrefix: ctx.principal.prefix,
        ...(entry.details as object | undefined),
      },
    })),
  );
}
