import type { Certificate, Device, Prisma, Station } from '@claimline/db';
import { sealToPublicKey, type SealedPayload } from '@claimline/station-crypto';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { assertDownloadable } from './downloadable.js';
import type { StationSetup } from './station-setup.js';
import { assertAssigned, auditStation, requirePublicKey, requireStation } from './station-identity.js';

export type Credentials = {
  serial: string;
  batchId: string;
  thingName: string | null;
  deviceConfiguration: Prisma.JsonValue;
  certificateId: string;
  certificatePem: string;
  caPem: string;
  endpoint: string;
  stationId: string;
  sealedPrivateKey: SealedPayload;
};

type Sealable = { device: Device; certificate: Certificate };

/**
 * Opens the stored key (vault) and seals it to the station at once: the plaintext lives in this
 * function's buffers only, which are zeroed before it returns. It never reaches a response, log or error.
 */
async function sealFor(setup: StationSetup, station: Station, publicKey: string, { device, certificate }: Sealable): Promise<SealedPayload> {
  if (!certificate.privateKeyCiphertext || !certificate.privateKeyWrappedKey || !certificate.privateKeyKekId || !certificate.privateKeyAlgorithm) {
    throw new AppError('NO_ACTIVE_CERTIFICATE', `the private key of unit ${device.serial} is no longer stored`, { serial: device.serial });
  }
  const context = { serial: device.serial, certificateId: certificate.certificateId, purpose: 'private-key' } as const;
  const plaintext = await setup.vault().open(
    {
      ciphertext: Buffer.from(certificate.privateKeyCiphertext),
      wrappedKey: Buffer.from(certificate.privateKeyWrappedKey),
      kekId: certificate.privateKeyKekId,
      algorithm: certificate.privateKeyAlgorithm,
    },
    context,
  );
  try {
    return sealToPublicKey(plaintext, publicKey, { serial: device.serial, certificateId: certificate.certificateId, stationId: station.id });
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Marks the units DOWNLOADED by this station in one statement, only where that is still allowed (a
 * concurrent download by another station wins or loses here, never both), and audits each one.
 */
async function claimDownloads(ctx: HandlerContext, station: Station, units: Sealable[], via: 'unit' | 'prefetch'): Promise<Set<string>> {
  if (units.length === 0) return new Set();
  return ctx.deps.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE device SET state = 'DOWNLOADED', downloaded_by_station_id = $1::uuid, downloaded_at = now(), updated_at = now()
        WHERE id = ANY($2::uuid[])
          AND ((state = 'REGISTERED' AND downloaded_by_station_id IS NULL)
            OR (state IN ('DOWNLOADED', 'BURN_FAILED') AND downloaded_by_station_id = $1::uuid))
        RETURNING id::text AS id`,
      station.id,
      units.map((u) => u.device.id),
    );
    const claimed = new Set(rows.map((r) => r.id));
    await auditStation(
      tx,
      ctx,
      station,
      units
        .filter((u) => claimed.has(u.device.id))
        .map((u) => ({ action: 'station.download', deviceId: u.device.id, batchId: u.device.batchId, details: { certificateId: u.certificate.certificateId, via } })),
    );
    return claimed;
  });
}

function toCredentials(setup: StationSetup, station: Station, { device, certificate }: Sealable, sealedPrivateKey: SealedPayload): Credentials {
  return {
    serial: device.serial,
    batchId: device.batchId,
    thingName: device.thingName,
    deviceConfiguration: device.deviceConfiguration,
    certificateId: certificate.certificateId,
    certificatePem: certificate.certificatePem,
    caPem: setup.caPem(),
    endpoint: setup.endpoint(),
    stationId: station.id,
    sealedPrivateKey,
  };
}

export async function downloadCredentials(ctx: HandlerContext, setup: StationSetup, serial: string): Promise<Credentials> {
  const station = await requireStation(ctx);
  const publicKey = requirePublicKey(station);
  const device = await ctx.deps.prisma.device.findUnique({
    where: { serial },
    include: { batch: { select: { stations: { select: { stationId: true } } } }, certificates: { where: { status: 'ACTIVE' } } },
  });
  if (!device) throw new AppError('DEVICE_NOT_FOUND', `unknown serial ${serial}`, { serial });
  assertAssigned(station, device.batchId, device.batch.stations);
  assertDownloadable(device, station);
  const certificate = device.certificates[0];
  if (!certificate) throw new AppError('NO_ACTIVE_CERTIFICATE', `unit ${serial} has no ACTIVE certificate`, { serial });
  const unit = { device, certificate };
  // Check the configuration before the unit is marked as downloaded.
  setup.caPem();
  setup.endpoint();
  const sealed = await sealFor(setup, station, publicKey, unit);
  const claimed = await claimDownloads(ctx, station, [unit], 'unit');
  if (!claimed.has(device.id)) {
    const now = await ctx.deps.prisma.device.findUniqueOrThrow({ where: { id: device.id } });
    assertDownloadable(now, station);
    throw new AppError('INVALID_DEVICE_STATE', `unit ${serial} changed state meanwhile; scan it again`, { serial, state: now.state });
  }
  return toCredentials(setup, station, unit, sealed);
}

export type PrefetchPage = { items: Credentials[]; nextCursor: string | null };

/**
 * A page of a batch for offline work: every unit this station may take (REGISTERED and free, or already
 * its own and not burned), each sealed and marked DOWNLOADED by this station exactly like a single download.
 */
export async function prefetchCredentials(ctx: HandlerContext, setup: StationSetup, batchId: string, after: string | undefined, limit: number): Promise<PrefetchPage> {
  const station = await requireStation(ctx);
  const publicKey = requirePublicKey(station);
  const batch = await ctx.deps.prisma.batch.findUnique({ where: { id: batchId }, include: { stations: { select: { stationId: true } } } });
  if (!batch) throw new AppError('BATCH_NOT_FOUND', `no batch ${batchId}`);
  assertAssigned(station, batchId, batch.stations);
  setup.caPem();
  setup.endpoint();
  const devices = await ctx.deps.prisma.device.findMany({
    where: {
      batchId,
      ...(after ? { id: { gt: after } } : {}),
      OR: [{ state: 'REGISTERED', downloadedByStationId: null }, { state: { in: ['DOWNLOADED', 'BURN_FAILED'] }, downloadedByStationId: station.id }],
    },
    orderBy: { id: 'asc' },
    take: limit + 1,
    include: { certificates: { where: { status: 'ACTIVE', privateKeyCiphertext: { not: null } } } },
  });
  const page = devices.slice(0, limit);
  const units = page.flatMap((device) => (device.certificates[0] ? [{ device, certificate: device.certificates[0] }] : []));
  const sealed = await Promise.all(units.map((unit) => sealFor(setup, station, publicKey, unit)));
  const claimed = await claimDownloads(ctx, station, units, 'prefetch');
  const items = units.flatMap((unit, i) => (claimed.has(unit.device.id) ? [toCredentials(setup, station, unit, sealed[i]!)] : []));
  const last = page[page.length - 1];
  return { items, nextCursor: devices.length > limit && last ? last.id : null };
}
