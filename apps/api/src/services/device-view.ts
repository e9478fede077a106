import type { Device, PrismaClient } from '@claimline/db';
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

export async function findDevice(prisma: PrismaClient, serial: string): Promise<Device> {
  const device = await prisma.device.findUnique({ where: { serial } });
  if (!device) throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
  return device;
}

/** The device, its certificates (identifiers and status only: the select never names a key column) and its audit trail. */
export async function deviceDetail(prisma: PrismaClient, device: Device) {
  const [certificates, events] = await Promise.all([
    prisma.certificate.findMany({
      where: { deviceId: device.id },
      select: { certificateId: true, status: true, createdAt: true, activatedAt: true, revokedAt: true },
      orderBy: { createdAt: 'asc' },
    }),
    prisma.auditEvent.findMany({
      where: { deviceId: device.id },
      select: { at: true, actor: true, action: true, origin: true },
      orderBy: { at: 'desc' },
      take: AUDIT_TRAIL_LIMIT,
    }),
  ]);
  const history = STATE_TIMES.flatMap(([state, key]) => {
    const at = device[key];
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
    certificates: certificates.map((c) => ({
      certificateId: c.certificateId,
      status: c.status,
      createdAt: c.createdAt.toISOString(),
      activatedAt: c.activatedAt?.toISOString() ?? null,
      revokedAt: c.revokedAt?.toISOString() ?? null,
    })),
    audit: events.map((e) => ({
      at: e.at.toISOString(),
      actor: e.actor,
      action: e.action,
      origin: e.origin,
    })),
  };
}
