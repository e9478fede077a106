import type { Prisma, PrismaClient } from '@claimline/db';
import type { Logger } from '@claimline/logger';
import { startPeriodicSweep, type Sweep } from '../periodic-sweep.js';

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Crypto-shredding of burned units' private keys: the ciphertext and the wrapped data key are set to
 * NULL (the certificate stays ACTIVE: the device uses it in the field; `shredded_at` records when).
 * `olderThanSeconds` = the retention; with `deviceId`, that one burned unit now (retention 0).
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

/** With a retention > 0, a timer in the API process shreds the keys whose retention has passed. */
export function startShredSweep(
  prisma: PrismaClient,
  logger: Logger,
  retentionSeconds: number,
  intervalSeconds: number,
): Sweep {
  return startPeriodicSweep(
    logger,
    { intervalSeconds, enabled: retentionSeconds > 0, name: 'private-key shred', done: 'shredded' },
    () => prisma.$transaction((tx) => shredBurnedKeys(tx, { olderThanSeconds: retentionSeconds })),
  );
}
