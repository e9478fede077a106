import { rawSqlOf, type Device, type PrismaClient } from '@claimline/db';
import { AppError } from '../errors/app-error.js';
import type { DeviceStateName } from '../schemas/common.js';

const AUDIT_TRAIL_LIMIT = 100;

const STATE_TIMES: [DeviceStateName, keyof Device][] = [
  ['QUEUED', 'queuedAt'],
  ['CLAIMING', 'claimingAt'],
  ['CERT_ISSUED', 'certIssuedAt'],
  ['REGISTERED', 'registeredAt'],
  ['VERIFY_FAILED', 'verifyFailedAt'],
  ['DOWNLOADED', 'downloadedAt'],
  ['BURNED', 'burnedAt'],
  ['BURN_FAILED', 'burnFailedAt'],
  ['FAILED', 'failedAt'],
  ['CANCELLED', 'cancelledAt'],
];

/** The columns a device read shows: one indexed row, no parameters, no sealed or bulky column. */
const DEVICE_VIEW = [
  'id',
  'serial',
  'batchId',
  'state',
  'thingName',
  'attempts',
  'provisionGeneration',
  'lastErrorCode',
  'lastErrorMessage',
  'lastErrorRetryable',
  ...STATE_TIMES.map(([, key]) => key),
] as const satisfies readonly (keyof Device)[];

export type DeviceRow = Pick<Device, (typeof DEVICE_VIEW)[number]> & {
  batch: { requestedByKeyId: string | null };
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const cast: Partial<Record<string, string>> = { id: '::text', batchId: '::text', state: '::text' };

/**
 * One round trip, one statement: the device row and its batch's owner, on the client's own pg pool
 * (rawSqlOf: Prisma's per-query cost, raw queries included, was most of a read's CPU at line speed).
 */
const DEVICE_VIEW_SQL = `SELECT ${DEVICE_VIEW.map((c) => `d.${snake(c)}${cast[c] ?? ''} AS "${c}"`).join(', ')},
       b.requested_by_key_id::text AS "ownerKeyId"
  FROM device d JOIN batch b ON b.id = d.batch_id WHERE d.serial = $1`;

export async function findDeviceView(prisma: PrismaClient, serial: string): Promise<DeviceRow> {
  const [row] = await rawSqlOf(prisma)<Omit<DeviceRow, 'batch'> & { ownerKeyId: string | null }>(
    DEVICE_VIEW_SQL,
    [serial],
  );
  const device = row && { ...row, batch: { requestedByKeyId: row.ownerKeyId } };
  if (!device) throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
  return device;
}

export type DeviceInclude = { certificates: boolean; audit: boolean };

/**
 * The device with its state history (from its own row); its certificates (identifiers and status only:
 * the select never names a key column) and its audit trail only when `include` asks for them.
 */
export async function deviceDetail(prisma: PrismaClient, device: DeviceRow, include: DeviceInclude) {
  const [certificates, events] = await Promise.all([
    include.certificates
      ? prisma.certificate.findMany({
          where: { deviceId: device.id },
          select: { certificateId: true, status: true, createdAt: true, activatedAt: true, revokedAt: true },
          orderBy: { createdAt: 'asc' },
        })
      : undefined,
    include.audit
      ? prisma.auditEvent.findMany({
          where: { deviceId: device.id },
          select: { at: true, actor: true, action: true, origin: true },
          orderBy: { at: 'desc' },
          take: AUDIT_TRAIL_LIMIT,
        })
      : undefined,
  ]);
  const history = STATE_TIMES.flatMap(([state, key]) => {
    const at = (device as Record<string, unknown>)[key];
    return at instanceof Date ? [{ state, at }] : [];
  })
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map(({ state, at }) => ({ state, at: at.toISOString() }));
  return {
    id: device.id,
    serial: device.serial,
    batchId: device.batchId,
    state: device.state,
    thingName: device.thingName,
    attempts: device.attempts,
    generation: device.provisionGeneration,
    history,
    lastError: device.lastErrorCode
      ? { code: device.lastErrorCode, message: device.lastErrorMessage, retryable: device.lastErrorRetryable }
      : null,
    ...(certificates && {
      certificates: certificates.map((c) => ({
        certificateId: c.certificateId,
        status: c.status,
        createdAt: c.createdAt.toISOString(),
        activatedAt: c.activatedAt?.toISOString() ?? null,
        revokedAt: c.revokedAt?.toISOString() ?? null,
      })),
    }),
    ...(events && {
      audit: events.map((e) => ({
        at: e.at.toISOString(),
        actor: e.actor,
        action: e.action,
        origin: e.origin,
      })),
    }),
  };
}
