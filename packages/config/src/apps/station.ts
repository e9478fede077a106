import { z } from 'zod';
import { positiveInt } from '../fields.js';

/**
 * The programmer station CLI (`apps/station`). Its server URL and API key come from `init` and live in
 * the station directory, not in the environment.
 */
export const stationFields = {
  STATION_DIR: z
    .string()
    .min(1)
    .default('~/.claimline-station')
    .describe(
      'Station: directory of the station key, its settings, the offline store and the journal (--dir wins)',
    ),
  STATION_DEVICE_ISSUER_CA_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Station: PEM file of the CA that issues device certificates; when set, each unit certificate must be issued by it (--device-issuer-ca wins). Not the endpoint root sent to units',
    ),
  STATION_HTTP_TIMEOUT_MS: positiveInt()
    .default(10_000)
    .describe('Station: time-out of one request to the API in milliseconds'),
  STATION_BURN_TIMEOUT_SECONDS: positiveInt()
    .default(300)
    .describe(
      'Station: the burn command (and the CSR and write-cert commands) is killed after this many seconds',
    ),
  STATION_CERTIFICATE_WAIT_SECONDS: positiveInt()
    .default(60)
    .describe(
      "Station (device-csr): how long to wait for AWS to sign a unit's CSR before giving up on the scan",
    ),
};

export const stationSchema = z.object({ ...stationFields });

export type StationConfig = z.output<typeof stationSchema>;
