import { SEAL_SUITES, type SealedPayload } from '@claimline/station-crypto';
import { z } from 'zod';
import { BUNDLE_SIGNATURE_ALGORITHMS } from './bundle-signing.js';
import { SIGNING_ALGORITHMS } from './request-signing.js';

export * from './bundle-signing.js';
export * from './request-signing.js';

export { REDACTED_PEM, REDACTED_RUN, scrubBurnOutput, scrubbedTail } from './burn-output.js';

/**
 * What the API and a programmer station say to each other, defined once. The API serves these
 * schemas (and its OpenAPI document is generated from them: `.meta({ id })` names a component); the
 * station client checks every answer with them. Plain zod: no HTTP, database or AWS types inside.
 */

export const DEVICE_STATES = [
  'AWAITING_CSR',
  'QUEUED',
  'CLAIMING',
  'CERT_ISSUED',
  'VERIFYING',
  'VERIFY_FAILED',
  'REGISTERED',
  'DOWNLOADED',
  'BURNED',
  'BURN_FAILED',
  'FAILED',
  'CANCELLED',
] as const;
export const deviceStateSchema = z.enum(DEVICE_STATES);
export type DeviceStateName = z.infer<typeof deviceStateSchema>;

export const BURN_RESULTS = ['ok', 'failed'] as const;
export type BurnResult = (typeof BURN_RESULTS)[number];

export const sealedPayloadSchema = z
  .object({
    v: z.literal(2).describe('Format version; 2 is HPKE. Version 1 (pre-HPKE) is no longer sent'),
    suite: z
      .enum(SEAL_SUITES)
      .describe(
        'RFC 9180 cipher suite (KEM/KDF/AEAD ids 0x0020/0x0001/0x0002 or 0x0010/0x0001/0x0002); follows the station key type',
      ),
    enc: z
      .string()
      .describe('HPKE encapsulated key, base64: 32 bytes (X25519) or 65 bytes (P-256, uncompressed point)'),
    ct: z.string().describe('AES-256-GCM ciphertext ‖ 16-byte tag, base64'),
  })
  .meta({
    id: 'SealedPrivateKey',
    description:
      'The device private key (PEM) sealed to the station key with HPKE (RFC 9180), base mode, single shot. info = encodeFields(["claimline-station-seal", "v2", serial, certificateId, stationId]) where encodeFields is u32be(field count) then per field u32be(UTF-8 length) ‖ UTF-8 bytes; aad is empty',
  });

export const bundleSignatureSchema = z
  .object({
    alg: z.enum(BUNDLE_SIGNATURE_ALGORITHMS),
    keyId: z.string().describe("SHA-256 of the server bundle key's SPKI DER, hex"),
    value: z.string().describe('Signature, base64'),
  })
  .meta({ id: 'BundleSignature' });

export const KEY_ORIGINS = ['server', 'device'] as const;

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
    keyOrigin: z
      .enum(KEY_ORIGINS)
      .optional()
      .describe(
        'device: the key was born in the unit and never left it (device-csr batches): no sealedPrivateKey; the station checks the certificate against the CSR the unit gave. Absent or server: sealedPrivateKey is present',
      ),
    sealedPrivateKey: sealedPayloadSchema.optional(),
    issuedAt: z.iso.datetime().describe('When the API signed this bundle'),
    bundleSignature: bundleSignatureSchema,
  })
  // A key from the server comes sealed; a unit that holds its own key gets none.
  .refine((c) => (c.keyOrigin === 'device') === (c.sealedPrivateKey === undefined), {
    message: 'sealedPrivateKey is required unless keyOrigin is device, and absent when it is',
    path: ['sealedPrivateKey'],
  })
  .meta({
    id: 'DeviceCredentials',
    description:
      'A credentials bundle signed by the API (ECDSA P-256 or Ed25519 over the RFC 8785 encoding of every other field); the station checks it against the server key it pinned at init',
  });
export type Credentials = z.infer<typeof credentialsSchema>;

export const credentialsPageSchema = z
  .object({ items: z.array(credentialsSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CredentialsPage' });
export type CredentialsPage = z.infer<typeof credentialsPageSchema>;

export const submitCsrBodySchema = z
  .object({
    csrPem: z
      .string()
      .min(1)
      .max(1_000_000)
      .describe(
        "The unit's PKCS#10 request, one PEM block; the server's own size limit (API_CSR_MAX_BYTES, default 4096) is refused with CSR_TOO_LARGE",
      ),
  })
  .strict()
  .meta({ id: 'SubmitCsrRequest' });
export type SubmitCsrBody = z.infer<typeof submitCsrBodySchema>;

export const submitCsrResultSchema = z
  .object({ serial: z.string(), state: deviceStateSchema, generation: z.number().int() })
  .meta({ id: 'SubmitCsrResult' });
export type SubmitCsrResult = z.infer<typeof submitCsrResultSchema>;

export const confirmBodySchema = z
  .object({
    result: z.enum(BURN_RESULTS),
    burnLogSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex characters' })
      .describe(
        'SHA-256 of the whole burn output (stdout and stderr as received); the output itself is never sent',
      ),
    exitCode: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe('Exit code of the burn command; null when a signal ended it'),
    signal: z.string().max(32).optional().describe('The signal that ended the burn command, if one did'),
    durationMs: z.number().int().nonnegative().max(86_400_000).optional().describe('How long the burn ran'),
    detail: z
      .string()
      .max(2000)
      .optional()
      .describe(
        'Why a burn failed: the last output lines with PEM blocks and long base64/hex runs removed (scrubBurnOutput); scrubbed again by the API',
      ),
  })
  .strict()
  .meta({ id: 'ConfirmBurnRequest' });
export type ConfirmBody = z.infer<typeof confirmBodySchema>;

export const confirmResultSchema = z
  .object({ serial: z.string(), state: deviceStateSchema, changed: z.boolean(), keyShredded: z.boolean() })
  .meta({ id: 'ConfirmBurnResult' });
export type ConfirmResult = z.infer<typeof confirmResultSchema>;

export const stationKeyBodySchema = z
  .object({
    publicKey: z.string().min(1).max(4096).describe('Seal key: SPKI PEM, X25519 or P-256'),
    signingPublicKey: z
      .string()
      .min(1)
      .max(4096)
      .describe('Request-signing key: SPKI PEM, Ed25519 or P-256; this request must be signed with it'),
  })
  .strict()
  .meta({ id: 'StationKeyRequest' });

export const STATION_KEY_STATUSES = ['ACTIVE', 'PENDING'] as const;

export const stationKeySchema = z
  .object({
    stationId: z.uuid(),
    name: z.string(),
    status: z
      .enum(STATION_KEY_STATUSES)
      .describe(
        'ACTIVE: the first keys, or the same keys again; PENDING: a replacement an ADMIN must approve',
      ),
    algorithm: z.string(),
    fingerprint: z.string().describe('Seal key: SHA-256 of the SPKI DER, hex'),
    signingAlgorithm: z.enum(SIGNING_ALGORITHMS),
    signingFingerprint: z.string().describe('Signing key: SHA-256 of the SPKI DER, hex'),
    server: z.object({
      bundleKey: z.string().describe('SPKI PEM of the key the API signs bundles with: pin it'),
      bundleKeyFingerprint: z.string(),
      endpoint: z.string().nullable().describe('AWS IoT data endpoint the API sends to units'),
      caPem: z.string().nullable().describe('Endpoint trust root the API sends to units'),
    }),
  })
  .meta({ id: 'StationKey' });
export type StationKey = z.infer<typeof stationKeySchema>;

export const stationBatchSchema = z.object({
  id: z.uuid(),
  externalRef: z.string(),
  createdAt: z.iso.datetime(),
  counts: z.object({
    total: z.number().int(),
    provisioning: z.number().int(),
    available: z.number().int(),
    awaitingCsr: z.number().int().describe('device-csr units waiting for a station to send their CSR'),
    downloadedHere: z.number().int(),
    burnedHere: z.number().int(),
    burnFailedHere: z.number().int(),
    burnedTotal: z.number().int(),
    heldByOtherStations: z.number().int(),
  }),
});
export type StationBatch = z.infer<typeof stationBatchSchema>;

export const stationBatchesSchema = z
  .object({
    station: z.object({
      id: z.uuid(),
      name: z.string(),
      line: z.string().nullable(),
      hasPublicKey: z.boolean(),
    }),
    items: z.array(stationBatchSchema),
  })
  .meta({ id: 'StationBatches' });
export type StationBatches = z.infer<typeof stationBatchesSchema>;

/** The API's problem codes (RFC 9457 `code`) a station tells its operator about in words of its own. */
export const STATION_PROBLEM_CODES = [
  'DEVICE_NOT_FOUND',
  'DEVICE_NOT_PROVISIONED',
  'DEVICE_AWAITING_CSR',
  'DEVICE_ALREADY_BURNED',
  'DEVICE_DOWNLOADED_BY_OTHER_STATION',
  'STATION_NOT_ASSIGNED',
  'STATION_NO_PUBLIC_KEY',
  'STATION_KEY_PENDING',
  'STATION_REVOKED',
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNATURE_STALE',
  'SIGNATURE_REPLAYED',
  'CONTENT_DIGEST_MISMATCH',
] as const;
export type StationProblemCode = (typeof STATION_PROBLEM_CODES)[number];

export function isStationProblemCode(code: unknown): code is StationProblemCode {
  return (STATION_PROBLEM_CODES as readonly unknown[]).includes(code);
}

// The sealed payload's schema and station-crypto's type must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const payloadTypesAgree: Same<z.infer<typeof sealedPayloadSchema>, SealedPayload> = true;
void payloadTypesAgree;
