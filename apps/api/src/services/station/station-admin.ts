import { allows, releaseFromStation } from '@claimline/device-ledger';
import { createApiKey } from '../../auth/api-key.js';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { audit } from '../audit.js';

/** A new station and its STATION key; the key is in the answer once and never stored in clear. */
export async function registerStation(ctx: HandlerContext, input: { name: string; line?: string }) {
  const { prisma } = ctx.deps;
  if (await prisma.station.findUnique({ where: { name: input.name } })) {
    throw new AppError('STATION_EXISTS', `a station named ${input.name} exists`, { name: input.name });
  }
  const key = await createApiKey(prisma, {
    name: `station ${input.name}`,
    role: 'STATION',
    station: input.name,
  });
  const station = await prisma.station.update({
    where: { name: input.name },
    data: { line: input.line ?? null },
  });
  await audit(prisma, ctx, {
    action: 'station.register',
    details: { stationId: station.id, name: station.name, keyPrefix: key.prefix },
  });
  return {
    station: {
      id: station.id,
      name: station.name,
      line: station.line,
      createdAt: station.createdAt.toISOString(),
    },
    apiKey: { prefix: key.prefix, key: key.key },
  };
}

/** Adds stations (by name) to the ones that may serve a batch; a batch with none may be served by all. */
export async function assignStations(ctx: HandlerContext, batchId: string, names: readonly string[]) {
  const { prisma } = ctx.deps;
  return prisma.$transaction(async (tx) => {
    const batch = await tx.batch.findUnique({ where: { id: batchId } });
    if (!batch) throw new AppError('BATCH_NOT_FOUND', `no batch ${batchId}`);
    const stations = await tx.station.findMany({ where: { name: { in: [...names] } } });
    const unknown = names.filter((name) => !stations.some((s) => s.name === name));
    if (unknown.length > 0)
      throw new AppError('STATION_NOT_FOUND', `unknown station(s): ${unknown.join(', ')}`, {
        stations: unknown,
      });
    await tx.batchStation.createMany({
      data: stations.map((s) => ({ batchId, stationId: s.id })),
      skipDuplicates: true,
    });
    await audit(tx, ctx, {
      action: 'batch.assign-stations',
      batchId,
      details: { stations: stations.map((s) => s.name) },
    });
    const all = await tx.batchStation.findMany({
      where: { batchId },
      include: { station: { select: { name: true } } },
    });
    return { batchId, stations: all.map((row) => row.station.name).sort() };
  });
}

/**
 * Frees a unit a station downloaded (a broken line PC, a unit moved to another line) so that another
 * station may download it. BURNED is final: a burned unit is re-provisioned instead.
 */
export async function reassignDevice(ctx: HandlerContext, serial: string) {
  const { prisma } = ctx.deps;
  return prisma.$transaction(async (tx) => {
    const device = await tx.device.findUnique({ where: { serial } });
    if (!device) throw new AppError('DEVICE_NOT_FOUND', `unknown serial ${serial}`, { serial });
    if (device.state === 'BURNED')
      throw new AppError('DEVICE_ALREADY_BURNED', `unit ${serial} is burned; re-provision it instead`, {
        serial,
        state: device.state,
      });
    if (!allows('reassign', device.state)) {
      throw new AppError('INVALID_DEVICE_STATE', `a ${device.state} unit has not been downloaded`, {
        serial,
        state: device.state,
      });
    }
    if (!(await releaseFromStation(tx, device)))
      throw new AppError('INVALID_DEVICE_STATE', `unit ${serial} changed state meanwhile; try again`, {
        serial,
      });
    await audit(tx, ctx, {
      action: 'device.reassign',
      deviceId: device.id,
      batchId: device.batchId,
      details: { fromState: device.state, previousStationId: device.downloadedByStationId },
    });
    return { serial, state: 'REGISTERED' as const, previousStationId: device.downloadedByStationId };
  });
}
