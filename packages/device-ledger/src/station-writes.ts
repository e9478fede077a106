import type { DeviceState, Prisma } from '@claimline/db';
import type { Actor } from './audit-log.js';
import type { Db } from './db.js';

/**
 * download: marks the units DOWNLOADED by this station and audits each, in one statement (one round
 * trip, atomic), only where that is still allowed: of two stations racing for a unit, exactly one
 * gets it. Returns the ids it got.
 */
export async function claimDownloads(
  db: Db,
  who: Actor,
  input: {
    stationId: string;
    keyPrefix: string;
    via: 'unit' | 'prefetch';
    units: readonly { deviceId: string; certificateId: string }[];
  },
): Promise<Set<string>> {
  if (input.units.length === 0) return new Set();
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `WITH input AS (SELECT * FROM unnest($2::uuid[], $3::text[]) AS t(id, certificate_id)),
     claimed AS (
       UPDATE device d SET state = 'DOWNLOADED', downloaded_by_station_id = $1::uuid, downloaded_at = now(), updated_at = now()
         FROM input i
        WHERE d.id = i.id
          AND ((d.state = 'REGISTERED' AND d.downloaded_by_station_id IS NULL)
            OR (d.state IN ('DOWNLOADED', 'BURN_FAILED') AND d.downloaded_by_station_id = $1::uuid))
        RETURNING d.id, d.batch_id, i.certificate_id)
     INSERT INTO audit_event (actor, action, device_id, batch_id, origin, details)
     SELECT $4, 'station.download', id, batch_id, $5,
            jsonb_build_object('stationId', $1::text, 'keyPrefix', $6::text, 'certificateId', certificate_id, 'via', $7::text)
       FROM claimed
     RETURNING device_id::text AS id`,
    input.stationId,
    input.units.map((u) => u.deviceId),
    input.units.map((u) => u.certificateId),
    who.actor,
    who.origin,
    input.keyPrefix,
    input.via,
  );
  return new Set(rows.map((r) => r.id));
}

/** burned / burnFailed: the station's result, only while it still holds the unit in `from`. */
export async function recordBurn(
  tx: Prisma.TransactionClient,
  input: {
    deviceId: string;
    from: DeviceState;
    stationId: string;
    result: 'BURNED' | 'BURN_FAILED';
    burnLogSha256: string;
  },
): Promise<boolean> {
  const now = new Date();
  const updated = await tx.device.updateMany({
    where: { id: input.deviceId, state: input.from, downloadedByStationId: input.stationId },
    data: {
      state: input.result,
      burnLogDigest: input.burnLogSha256,
      ...(input.result === 'BURNED' ? { burnedAt: now } : { burnFailedAt: now }),
    },
  });
  return updated.count === 1;
}

/**
 * Crypto-shredding of burned units' private keys: the ciphertext and the wrapped data key are set to
 * NULL (the certificate stays ACTIVE: the device uses it in the field; `shredded_at` records when),
 * each audited. `olderThanSeconds` = the retention; with `deviceId`, that one burned unit now.
 */
export async function shredBurnedKeys(
  db: Db,
  options: { olderThanSeconds: number } | { deviceId: string },
): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ certificate_id: string; device_id: string; batch_id: string }[]>(
    `UPDATE certificate c SET private_key_ciphertext = NULL, private_key_wrapped_key = NULL, shredded_at = now()
       FROM device d
      WHERE c.device_id = d.id AND d.state = 'BURNED' AND c.status = 'ACTIVE' AND c.private_key_ciphertext IS NOT NULL
        AND (d.id = $2::uuid OR ($2::uuid IS NULL AND d.burned_at <= now() - make_interval(secs => $1::double precision)))
      RETURNING c.certificate_id, d.id::text AS device_id, d.batch_id::text AS batch_id`,
    'olderThanSeconds' in options ? options.olderThanSeconds : 0,
    'deviceId' in options ? options.deviceId : null,
  );
  if (rows.length > 0) {
    await db.auditEvent.createMany({
      data: rows.map((r) => ({
        actor: 'system',
        action: 'certificate.key-shredded',
        deviceId: r.device_id,
        batchId: r.batch_id,
        details: { certificateId: r.certificate_id },
      })),
    });
  }
  return rows.length;
}
