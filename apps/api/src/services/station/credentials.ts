import type { Certificate, Device, DeviceState, Prisma, Station } from '@claimline/db';
import { claimDownloads, sealedPrivateKeyOf } from '@claimline/device-ledger';
import { signBundleWith, type Credentials } from '@claimline/station-contract';
import { sealToPublicKey, type SealedPayload } from '@claimline/station-crypto';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import type { BundleKey } from './bundle-key.js';
import { assertDownloadable, assertNotAwaitingCsr } from './downloadable.js';
import type { StationSetup } from './station-setup.js';
import {
  assertAssigned,
  assertStationStanding,
  requirePublicKey,
  requireStation,
  stationActor,
} from './station-identity.js';

export type { Credentials };

type Sealable = {
  device: Pick<Device, 'id' | 'serial' | 'batchId' | 'thingName' | 'deviceConfiguration'>;
  certificate: Pick<
    Certificate,
    | 'certificateId'
    | 'certificatePem'
    | 'privateKeyCiphertext'
    | 'privateKeyWrappedKey'
    | 'privateKeyKekId'
    | 'privateKeyAlgorithm'
  >;
};

type UnitRow = {
  station_id: string;
  station_name: string;
  station_line: string | null;
  public_key: string | null;
  signing_public_key: string | null;
  pending_public_key: string | null;
  pending_signing_public_key: string | null;
  pending_since: Date | null;
  station_created_at: Date;
  station_revoked_at: Date | null;
  id: string | null;
  serial: string;
  batch_id: string;
  state: DeviceState;
  downloaded_by_station_id: string | null;
  thing_name: string | null;
  device_configuration: Prisma.JsonValue;
  mode: string | null;
  last_error_code: string | null;
  certificate_id: string | null;
  certificate_pem: string;
  private_key_ciphertext: Uint8Array<ArrayBuffer> | null;
  private_key_wrapped_key: Uint8Array<ArrayBuffer> | null;
  private_key_kek_id: string | null;
  private_key_algorithm: string | null;
  assigned: string[];
};

/**
 * The station, the unit, its ACTIVE certificate and the batch's assigned stations in one round trip: the
 * download is the hot path of a line (see apps/station/bench).
 */
async function loadUnit(ctx: HandlerContext, serial: string): Promise<{ station: Station; row: UnitRow }> {
  const { stationId } = ctx.principal;
  if (!stationId)
    throw new AppError(
      'NOT_A_STATION',
      `the ${ctx.principal.role} key ${ctx.principal.prefix} does not belong to a station`,
    );
  const [row] = await ctx.deps.prisma.$queryRawUnsafe<UnitRow[]>(
    `SELECT s.id::text AS station_id, s.name AS station_name, s.line AS station_line, s.public_key, s.created_at AS station_created_at,
            s.revoked_at AS station_revoked_at, s.signing_public_key, s.pending_public_key,
            s.pending_signing_public_key, s.pending_since,
            d.id::text AS id, d.serial, d.batch_id::text AS batch_id, d.state::text AS state,
            d.downloaded_by_station_id::text AS downloaded_by_station_id, d.thing_name, d.device_configuration,
            b.mode::text AS mode, d.last_error_code,
            c.certificate_id, c.certificate_pem, c.private_key_ciphertext, c.private_key_wrapped_key, c.private_key_kek_id, c.private_key_algorithm,
            ARRAY(SELECT bs.station_id::text FROM batch_station bs WHERE bs.batch_id = d.batch_id) AS assigned
       FROM station s
       LEFT JOIN device d ON d.serial = $1
       LEFT JOIN batch b ON b.id = d.batch_id
       LEFT JOIN certificate c ON c.device_id = d.id AND c.status = 'ACTIVE'
      WHERE s.id = $2::uuid`,
    serial,
    stationId,
  );
  if (!row) throw new AppError('NOT_A_STATION', 'the station of this key no longer exists');
  const station: Station = {
    id: row.station_id,
    name: row.station_name,
    line: row.station_line,
    publicKey: row.public_key,
    signingPublicKey: row.signing_public_key,
    pendingPublicKey: row.pending_public_key,
    pendingSigningPublicKey: row.pending_signing_public_key,
    pendingSince: row.pending_since,
    createdAt: row.station_created_at,
    revokedAt: row.station_revoked_at,
  };
  assertStationStanding(ctx, station);
  return { station, row };
}

/**
 * Opens the stored key (vault) and seals it to the station at once: the plaintext lives in this
 * function's buffers only, which are zeroed before it returns. It never reaches a response, log or error.
 */
async function sealFor(
  setup: StationSetup,
  station: Station,
  publicKey: string,
  { device, certificate }: Sealable,
): Promise<SealedPayload> {
  const sealedKey = sealedPrivateKeyOf(certificate);
  if (!sealedKey) {
    throw new AppError(
      'NO_ACTIVE_CERTIFICATE',
      `the private key of unit ${device.serial} is no longer stored`,
      { serial: device.serial },
    );
  }
  const context = {
    serial: device.serial,
    certificateId: certificate.certificateId,
    purpose: 'private-key',
  } as const;
  const plaintext = await setup.vault().open(sealedKey, context);
  try {
    // Awaited here: the finally block zeroes the plaintext, which must outlive the (asynchronous) seal.
    return await sealToPublicKey(plaintext, publicKey, {
      serial: device.serial,
      certificateId: certificate.certificateId,
      stationId: station.id,
    });
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Marks the units DOWNLOADED by this station and audits each, in one statement (one round trip, atomic),
 * only where that is still allowed: of two stations racing for a unit, exactly one gets it.
 */
async function claimForStation(
  ctx: HandlerContext,
  station: Station,
  units: Sealable[],
  via: 'unit' | 'prefetch',
): Promise<Set<string>> {
  return claimDownloads(
    ctx.deps.prisma,
    { actor: stationActor(station), origin: ctx.origin },
    {
      stationId: station.id,
      keyPrefix: ctx.principal.prefix,
      via,
      units: units.map((u) => ({ deviceId: u.device.id, certificateId: u.certificate.certificateId })),
    },
  );
}

/**
 * The bundle as the station receives it, signed with the API's bundle key (issue 13). Signed before the
 * unit is claimed for the station: a signing failure (KMS unreachable) leaves the unit as it was.
 */
async function toCredentials(
  setup: StationSetup,
  key: BundleKey,
  station: Station,
  { device, certificate }: Sealable,
  /** Absent for a unit that holds its own key (device-csr): the bundle says so (keyOrigin device). */
  sealedPrivateKey: SealedPayload | undefined,
): Promise<Credentials> {
  const bundle = {
    serial: device.serial,
    batchId: device.batchId,
    thingName: device.thingName,
    deviceConfiguration: device.deviceConfiguration,
    certificateId: certificate.certificateId,
    certificatePem: certificate.certificatePem,
    caPem: setup.caPem(),
    endpoint: setup.endpoint(),
    stationId: station.id,
    ...(sealedPrivateKey
      ? { keyOrigin: 'server' as const, sealedPrivateKey }
      : { keyOrigin: 'device' as const }),
    issuedAt: new Date().toISOString(),
  };
  // Unsigned only in the benchmark's "off" arm, to measure what signing costs.
  if (!setup.signBundles) return bundle as Credentials;
  return { ...bundle, bundleSignature: await signBundleWith(bundle, key.signer) };
}

export async function downloadCredentials(
  ctx: HandlerContext,
  setup: StationSetup,
  serial: string,
): Promise<Credentials> {
  const { station, row } = await loadUnit(ctx, serial);
  const publicKey = requirePublicKey(station);
  if (!row.id) throw new AppError('DEVICE_NOT_FOUND', `unknown serial ${serial}`, { serial });
  assertAssigned(
    station,
    row.batch_id,
    row.assigned.map((stationId) => ({ stationId })),
    ctx.deps.config.API_STATIONS_SERVE_ANY_BATCH,
  );
  assertNotAwaitingCsr({ serial, state: row.state, lastErrorCode: row.last_error_code });
  const keyInUnit = row.mode === 'DEVICE_CSR';
  assertDownloadable(
    { serial, state: row.state, downloadedByStationId: row.downloaded_by_station_id },
    station,
  );
  if (!row.certificate_id)
    throw new AppError('NO_ACTIVE_CERTIFICATE', `unit ${serial} has no ACTIVE certificate`, { serial });
  const unit: Sealable = {
    device: {
      id: row.id,
      serial,
      batchId: row.batch_id,
      thingName: row.thing_name,
      deviceConfiguration: row.device_configuration,
    },
    certificate: {
      certificateId: row.certificate_id,
      certificatePem: row.certificate_pem,
      privateKeyCiphertext: row.private_key_ciphertext,
      privateKeyWrappedKey: row.private_key_wrapped_key,
      privateKeyKekId: row.private_key_kek_id,
      privateKeyAlgorithm: row.private_key_algorithm,
    },
  };
  // Check the configuration before the unit is marked as downloaded.
  setup.caPem();
  setup.endpoint();
  const key = await setup.bundleKey();
  const sealed = keyInUnit ? undefined : await sealFor(setup, station, publicKey, unit);
  const credentials = await toCredentials(setup, key, station, unit, sealed);
  const claimed = await claimForStation(ctx, station, [unit], 'unit');
  if (!claimed.has(row.id)) {
    const now = await ctx.deps.prisma.device.findUniqueOrThrow({ where: { id: row.id } });
    assertDownloadable(now, station);
    throw new AppError('INVALID_DEVICE_STATE', `unit ${serial} changed state meanwhile; scan it again`, {
      serial,
      state: now.state,
    });
  }
  return credentials;
}

export type PrefetchPage = { items: Credentials[]; nextCursor: string | null };

/**
 * A page of a batch for offline work: every unit this station may take (REGISTERED and free, or already
 * its own and not burned), each sealed and marked DOWNLOADED by this station exactly like a single download.
 */
export async function prefetchCredentials(
  ctx: HandlerContext,
  setup: StationSetup,
  batchId: string,
  after: string | undefined,
  limit: number,
): Promise<PrefetchPage> {
  const station = await requireStation(ctx);
  const publicKey = requirePublicKey(station);
  const batch = await ctx.deps.prisma.batch.findUnique({
    where: { id: batchId },
    include: { stations: { select: { stationId: true } } },
  });
  if (!batch) throw new AppError('BATCH_NOT_FOUND', `no batch ${batchId}`);
  assertAssigned(station, batchId, batch.stations, ctx.deps.config.API_STATIONS_SERVE_ANY_BATCH);
  setup.caPem();
  setup.endpoint();
  const key = await setup.bundleKey();
  const devices = await ctx.deps.prisma.device.findMany({
    where: {
      batchId,
      ...(after ? { id: { gt: after } } : {}),
      OR: [
        { state: 'REGISTERED', downloadedByStationId: null },
        { state: { in: ['DOWNLOADED', 'BURN_FAILED'] }, downloadedByStationId: station.id },
      ],
    },
    orderBy: { id: 'asc' },
    take: limit + 1,
    include: { certificates: { where: { status: 'ACTIVE', privateKeyCiphertext: { not: null } } } },
  });
  const page = devices.slice(0, limit);
  const units = page.flatMap((device) =>
    device.certificates[0] ? [{ device, certificate: device.certificates[0] }] : [],
  );
  const bundles = await Promise.all(
    units.map(async (unit) =>
      toCredentials(setup, key, station, unit, await sealFor(setup, station, publicKey, unit)),
    ),
  );
  const claimed = await claimForStation(ctx, station, units, 'prefetch');
  const items = bundles.filter((_, i) => claimed.has(units[i]!.device.id));
  const last = page[page.length - 1];
  return { items, nextCursor: devices.length > limit && last ? last.id : null };
}
