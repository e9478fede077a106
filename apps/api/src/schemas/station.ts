import { z } from '../openapi/zod.js';
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

export const stationKeyBody = z
  .object({ publicKey: z.string().min(1).max(4096).describe('SPKI PEM, X25519 or P-256') })
  .strict()
  .openapi('StationKeyRequest');

export const stationKeyResponse = z
  .object({
    stationId: z.uuid(),
    name: z.string(),
    algorithm: z.string(),
    fingerprint: z.string().describe('SHA-256 of the SPKI DER, hex'),
  })
  .openapi('StationKey');

export const sealedPayloadSchema = z
  .object({
    v: z.literal(1),
    alg: z.enum(['X25519-HKDF-SHA256-A256GCM', 'P256-HKDF-SHA256-A256GCM']),
    epk: z.string().describe('Ephemeral public key, SPKI DER, base64'),
    iv: z.string().describe('AES-GCM IV, base64'),
    ct: z.string().describe('AES-256-GCM ciphertext ‖ 16-byte tag, base64'),
  })
  .openapi('SealedPrivateKey', {
    description:
      'The private key sealed to the station key: ECDH with epk, HKDF-SHA256 and AES-256-GCM; info and AAD bind serial, certificate id and station id',
  });

export const credentialsSchema = z
  .object({
    serial: z.string(),
    batchId: z.uuid(),
    thingName: z.string().nullable(),
    deviceConfiguration: z.unknown(),
    certificateId: z.string(),
    certificatePem: z.string(),
    caPem: z.string().describe('CA chain the device must trust'),
    endpoint: z.string().describe('AWS IoT data endpoint, host[:port]'),
    stationId: z.uuid(),
    sealedPrivateKey: sealedPayloadSchema,
  })
  .openapi('DeviceCredentials');

export const prefetchQuery = z
  .object({
    cursor: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const prefetchResponse = z
  .object({ items: z.array(credentialsSchema), nextCursor: z.string().nullable() })
  .openapi('CredentialsPage');

export const confirmBody = z
  .object({
    result: z.enum(['ok', 'failed']),
    burnLogSha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex characters' }),
    detail: z
      .string()
      .max(2000)
      .optional()
      .describe('Why a burn failed (exit code, last lines); never key material'),
  })
  .strict()
  .openapi('ConfirmBurnRequest');

export const confirmResponse = z
  .object({ serial: z.string(), state: deviceStateSchema, changed: z.boolean(), keyShredded: z.boolean() })
  .openapi('ConfirmBurnResult');

export const stationBatchesResponse = z
  .object({
    station: z.object({
      id: z.uuid(),
      name: z.string(),
      line: z.string().nullable(),
      hasPublicKey: z.boolean(),
    }),
    items: z.array(
      z.object({
        id: z.uuid(),
        externalRef: z.string(),
        createdAt: z.iso.datetime(),
        counts: z.object({
          total: z.number().int(),
          provisioning: z.number().int(),
          available: z.number().int(),
          downloadedHere: z.number().int(),
          burnedHere: z.number().int(),
          burnFailedHere: z.number().int(),
          burnedTotal: z.number().int(),
          heldByOtherStations: z.number().int(),
        }),
      }),
    ),
  })
  .openapi('StationBatches');
