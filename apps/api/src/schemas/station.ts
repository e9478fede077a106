import { z } from '../openapi/zod.js';
import {
  confirmBodySchema,
  confirmResultSchema,
  credentialsPageSchema,
  credentialsSchema,
  sealedPayloadSchema,
  stationBatchesSchema,
  stationKeyBodySchema,
  stationKeySchema,
  STATION_PROBLEM_CODES,
  submitCsrBodySchema,
  submitCsrResultSchema,
} from '@claimline/station-contract';
import type { ErrorCode } from '../errors/codes.js';
import { deviceStateSchema } from './common.js';

export const registerStationBody = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'letters, digits, . _ - (at most 64)' }),
    line: z.string().min(1).max(128).optional().describe('Production line, for people'),
  })
  .strict()
  .openapi('RegisterStationRequest');

export const registerStationResponse = z
  .object({
    station: z.object({
      id: z.uuid(),
      name: z.string(),
      line: z.string().nullable(),
      createdAt: z.iso.datetime(),
    }),
    apiKey: z.object({ prefix: z.string(), key: z.string().describe('The STATION key, shown this once') }),
  })
  .openapi('RegisteredStation');

export const assignStationsBody = z
  .object({ stations: z.array(z.string().min(1).max(64)).min(1).max(100).describe('Station names') })
  .strict()
  .openapi('AssignStationsRequest');

export const assignStationsResponse = z
  .object({ batchId: z.uuid(), stations: z.array(z.string()) })
  .openapi('BatchStations');

export const reassignResponse = z
  .object({ serial: z.string(), state: deviceStateSchema, previousStationId: z.uuid().nullable() })
  .openapi('ReassignResult');

export const prefetchQuery = z
  .object({
    cursor: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

// What a station receives and sends is defined once, in @claimline/station-contract; the station
// client checks the answers with the same schemas. Their `.meta({ id })` names the OpenAPI components.
export const stationKeyBody = stationKeyBodySchema;
export const stationKeyResponse = stationKeySchema;
export { sealedPayloadSchema, credentialsSchema };
export const prefetchResponse = credentialsPageSchema;
export const confirmBody = confirmBodySchema;
export const confirmResponse = confirmResultSchema;
export const stationBatchesResponse = stationBatchesSchema;
export const submitCsrBody = submitCsrBodySchema;
export const submitCsrResponse = submitCsrResultSchema;

export const credentialsQuery = z
  .object({
    waitSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .max(300)
      .optional()
      .describe(
        'Long poll: while the unit is being provisioned, wait up to this long (capped by API_CSR_WAIT_MAX_SECONDS) for its certificate',
      ),
  })
  .strict();

// Every problem code a station acts on is one the API can send (checked by the compiler).
const stationProblemCodes: readonly ErrorCode[] = STATION_PROBLEM_CODES;
void stationProblemCodes;

export const stationNameParams = z
  .object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/) })
  .strict();
export const apiKeyPrefixParams = z.object({ prefix: z.string().regex(/^[0-9a-f]{12}$/) }).strict();

const fingerprint = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'a SHA-256 fingerprint, 64 hex characters' });

export const stationViewResponse = z
  .object({
    id: z.uuid(),
    name: z.string(),
    line: z.string().nullable(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    active: z.object({ fingerprint: z.string().nullable(), signingFingerprint: z.string().nullable() }),
    pending: z
      .object({
        fingerprint: z.string().nullable(),
        signingFingerprint: z.string().nullable(),
        since: z.iso.datetime().nullable(),
      })
      .nullable()
      .describe('A key replacement waiting for approval: compare with what init printed'),
  })
  .openapi('StationView');

export const approveKeyBody = z
  .object({ fingerprint, signingFingerprint: fingerprint })
  .strict()
  .openapi('ApproveStationKeyRequest');

export const revokedKeyResponse = z
  .object({ prefix: z.string(), role: z.string(), revokedAt: z.iso.datetime() })
  .openapi('RevokedApiKey');
