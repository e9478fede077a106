import type { DeviceState } from '@claimline/db';
import { allows, recordBurn, shredBurnedKeys } from '@claimline/device-ledger';
import { scrubBurnOutput, type ConfirmBody } from '@claimline/station-contract';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import type { StationSetup } from './station-setup.js';
import { auditStation, requireStation } from './station-identity.js';

/** The station's confirmation, as `@claimline/station-contract` defines it. */
export type ConfirmInput = ConfirmBody;
export type ConfirmResult = { serial: string; state: DeviceState; changed: boolean; keyShredded: boolean };

/**
 * What the audit keeps of a burn: digest, exit code, duration, and the station's detail scrubbed once more
 * (a station of an older version, or a faulty one, may send raw programmer output).
 */
function burnDetails(input: ConfirmInput) {
  return {
    burnLogSha256: input.burnLogSha256,
    ...(input.exitCode !== undefined ? { exitCode: input.exitCode } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.durationMs !== undefined ? { durationMs: input.durationMs } : {}),
    ...(input.detail ? { detail: scrubBurnOutput(input.detail) } : {}),
  };
}

/**
 * DOWNLOADED (or BURN_FAILED, for a retried burn) → BURNED or BURN_FAILED. The same result twice is a
 * no-op answered 200, so a station may re-send a journal after a restart. BURNED is final.
 */
export async function confirmBurn(
  ctx: HandlerContext,
  setup: StationSetup,
  serial: string,
  input: ConfirmInput,
): Promise<ConfirmResult> {
  const station = await requireStation(ctx);
  const target: DeviceState = input.result === 'ok' ? 'BURNED' : 'BURN_FAILED';
  return ctx.deps.prisma.$transaction(async (tx) => {
    const device = await tx.device.findUnique({ where: { serial } });
    if (!device) throw new AppError('DEVICE_NOT_FOUND', `unknown serial ${serial}`, { serial });
    if (device.downloadedByStationId !== station.id) {
      if (device.downloadedByStationId) {
        throw new AppError(
          'DEVICE_DOWNLOADED_BY_OTHER_STATION',
          `unit ${serial} belongs to another station`,
          { serial, state: device.state },
        );
      }
      throw new AppError(
        'DEVICE_NOT_DOWNLOADED',
        `station ${station.name} has not downloaded unit ${serial} (it is ${device.state})`,
        { serial, state: device.state },
      );
    }
    if (device.state === target) return { serial, state: device.state, changed: false, keyShredded: false };
    if (device.state === 'BURNED')
      throw new AppError(
        'DEVICE_ALREADY_BURNED',
        `unit ${serial} is already burned; a failed burn cannot be reported after it`,
        { serial, state: device.state },
      );
    if (!allows(target === 'BURNED' ? 'burned' : 'burnFailed', device.state)) {
      throw new AppError('INVALID_DEVICE_STATE', `unit ${serial} is ${device.state}`, {
        serial,
        state: device.state,
      });
    }
    const recorded = await recordBurn(tx, {
      deviceId: device.id,
      from: device.state,
      stationId: station.id,
      result: target,
      burnLogSha256: input.burnLogSha256,
    });
    if (!recorded)
      throw new AppError('INVALID_DEVICE_STATE', `unit ${serial} changed state meanwhile; try again`, {
        serial,
      });
    await auditStation(tx, ctx, station, [
      {
        action: target === 'BURNED' ? 'station.burned' : 'station.burn-failed',
        deviceId: device.id,
        batchId: device.batchId,
        details: burnDetails(input),
      },
    ]);
    const keyShredded =
      target === 'BURNED' &&
      setup.retentionSeconds === 0 &&
      (await shredBurnedKeys(tx, { deviceId: device.id })) > 0;
    return { serial, state: target, changed: true, keyShredded };
  });
}
