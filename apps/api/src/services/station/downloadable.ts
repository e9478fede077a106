import type { DeviceState, Station } from '@claimline/db';
import { AppError } from '../../errors/app-error.js';

/** States before a unit has its certificate (or after it was given up): nothing to download yet. */
const STATION_STATES: readonly DeviceState[] = ['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED'];

type DeviceLike = { serial: string; state: DeviceState; downloadedByStationId: string | null };

/**
 * May this station download this unit now? REGISTERED and free, or already this station's (DOWNLOADED,
 * or BURN_FAILED for a retry). Each refusal is a distinct code an operator can act on.
 */
export function assertDownloadable(device: DeviceLike, station: Station): void {
  if (!STATION_STATES.includes(device.state)) {
    throw new AppError(
      'DEVICE_NOT_PROVISIONED',
      `unit ${device.serial} is ${device.state}, not provisioned yet`,
      { serial: device.serial, state: device.state },
    );
  }
  if (device.state === 'BURNED') {
    throw new AppError('DEVICE_ALREADY_BURNED', `unit ${device.serial} is already burned`, {
      serial: device.serial,
      state: device.state,
    });
  }
  if (device.downloadedByStationId && device.downloadedByStationId !== station.id) {
    throw new AppError(
      'DEVICE_DOWNLOADED_BY_OTHER_STATION',
      `unit ${device.serial} was downloaded by another station; an admin can reassign it (POST /v1/devices/${device.serial}/reassign)`,
      {
        serial: device.serial,
        state: device.state,
      },
    );
  }
}

/**
 * A device-csr unit still waiting for its CSR gets its own code (the station sends the CSR then); a
 * FAILED unit names why (AWS's code, e.g. a CSR AWS refused), for the operator at the station.
 */
export function assertNotAwaitingCsr(device: {
  serial: string;
  state: DeviceState;
  lastErrorCode: string | null;
}): void {
  if (device.state === 'AWAITING_CSR')
    throw new AppError('DEVICE_AWAITING_CSR', `unit ${device.serial} waits for its CSR`, {
      serial: device.serial,
      state: device.state,
    });
  if (device.state === 'FAILED')
    throw new AppError(
      'DEVICE_NOT_PROVISIONED',
      `unit ${device.serial} FAILED: ${device.lastErrorCode ?? 'no error code'}`,
      { serial: device.serial, state: device.state, errorCode: device.lastErrorCode },
    );
}
