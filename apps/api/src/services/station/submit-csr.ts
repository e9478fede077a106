import type { DeviceState } from '@claimline/db';
import { recordCsr } from '@claimline/device-ledger';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { enqueueOrFail } from '../enqueue.js';
import { assertAssigned, requireStation, stationActor } from './station-identity.js';
import { checkUnitCsr } from './unit-csr.js';

/** A waiting station is served before bulk work: the job runs at the highest batch priority. */
const CSR_JOB_PRIORITY = 100;

export type SubmitCsrResult = { serial: string; state: DeviceState; generation: number };

/** The CSR's size, checked before anything else reads it (precheck: its own code, not a zod message). */
export function assertCsrSize(ctx: HandlerContext, body: unknown): void {
  const pem = (body as { csrPem?: unknown } | null)?.csrPem;
  const max = ctx.deps.config.API_CSR_MAX_BYTES;
  if (typeof pem === 'string' && Buffer.byteLength(pem, 'utf8') > max)
    throw new AppError('CSR_TOO_LARGE', `a unit CSR is at most ${max} bytes`, { maxBytes: max });
}

/**
 * A station posts the CSR of a unit of a device-csr batch (issue 14): checked (checkUnitCsr), stored with
 * the unit (AWAITING_CSR → QUEUED) and audited in one transaction, then its job is enqueued at the top
 * priority. A unit whose CSR was already taken is refused until an ADMIN reprovisions it.
 */
export async function submitUnitCsr(
  ctx: HandlerContext,
  serial: string,
  csrPem: string,
): Promise<SubmitCsrResult> {
  const { deps } = ctx;
  const station = await requireStation(ctx);
  const device = await deps.prisma.device.findUnique({
    where: { serial },
    include: { batch: { select: { mode: true, stations: { select: { stationId: true } } } } },
  });
  if (!device) throw new AppError('DEVICE_NOT_FOUND', `unknown serial ${serial}`, { serial });
  assertAssigned(station, device.batchId, device.batch.stations, deps.config.API_STATIONS_SERVE_ANY_BATCH);
  if (device.batch.mode !== 'DEVICE_CSR')
    throw new AppError(
      'CSR_NOT_EXPECTED',
      `unit ${serial} is in a ${device.batch.mode} batch: its key is not born in the unit`,
      { serial, state: device.state },
    );
  if (device.state !== 'AWAITING_CSR') throw alreadyReceived(serial, device.state);
  const csr = await checkUnitCsr(csrPem, serial, {
    keyTypes: deps.config.API_CSR_KEY_TYPES,
    requireCnSerial: deps.config.API_CSR_REQUIRE_CN_SERIAL,
  });
  const recorded = await deps.prisma.$transaction((tx) =>
    recordCsr(
      tx,
      { actor: stationActor(station), origin: ctx.origin },
      {
        deviceId: device.id,
        batchId: device.batchId,
        csrPem: csr.pem,
        details: {
          stationId: station.id,
          keyPrefix: ctx.principal.prefix,
          keyType: csr.keyType,
          csrSha256: csr.sha256,
        },
      },
    ),
  );
  // Another station's CSR won the race for this unit.
  if (!recorded) throw alreadyReceived(serial, 'QUEUED');
  await enqueueOrFail(
    deps,
    [{ deviceId: device.id, serial, generation: recorded.generation }],
    CSR_JOB_PRIORITY,
    device.batchId,
  );
  return { serial, state: 'QUEUED', generation: recorded.generation };
}

function alreadyReceived(serial: string, state: DeviceState): AppError {
  if (state === 'CANCELLED')
    return new AppError('INVALID_DEVICE_STATE', `unit ${serial} is cancelled`, { serial, state });
  return new AppError(
    'CSR_ALREADY_RECEIVED',
    `unit ${serial} already has its CSR (it is ${state}); an ADMIN reprovisions it for a new one`,
    { serial, state },
  );
}
