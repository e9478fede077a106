import { z } from 'zod';
import { boolean, nonNegativeInt, pathUnderStateDir, port, positiveInt } from '../fields.js';
import { controlPlaneFields } from './control-plane.js';
import { databaseFields, logFields, redisFields, stateDirFields } from './common.js';
import { vaultFields } from './vault.js';

const templateParameter = z
  .object({
    type: z.enum(['string', 'number', 'boolean']).default('string'),
    required: z.boolean().default(false),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  })
  .strict();

/** Allowed provisioning templates: name → parameters. The worker passes SerialNumber = serial itself. */
export const allowedTemplatesSchema = z.record(
  z.string().min(1),
  z.object({ parameters: z.record(z.string().min(1), templateParameter).default({}) }).strict(),
);

export type AllowedTemplates = z.output<typeof allowedTemplatesSchema>;

const DEFAULT_TEMPLATES = JSON.stringify({
  'claimline-default': { parameters: { SerialNumber: { type: 'string', required: true } } },
});

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx): z.output<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      ctx.addIssue({
        code: 'custom',
        message: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
      return z.NEVER;
    }
    return result.data;
  });

const regex = z.string().refine(
  (value) => {
    try {
      new RegExp(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a regular expression' },
);

export const apiFields = {
  API_HOST: z.string().min(1).default('127.0.0.1').describe('API: address to listen on'),
  API_PORT: port().default(8080).describe('API: TCP port to listen on'),
  API_TLS_CERT_PATH: z
    .string()
    .min(1)
    .optional()
    .describe('API: PEM certificate chain to serve HTTPS with (with API_TLS_KEY_PATH); unset: plain HTTP'),
  API_TLS_KEY_PATH: z.string().min(1).optional().describe('API: PEM private key of API_TLS_CERT_PATH'),
  API_MAX_DEVICES_PER_BATCH: positiveInt()
    .default(100_000)
    .describe('API: most devices one POST /v1/batches may carry'),
  API_SERIAL_PATTERN: regex
    .default('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
    .describe('API: regular expression every serial number must match'),
  API_ALLOWED_TEMPLATES: jsonOf(allowedTemplatesSchema)
    .prefault(DEFAULT_TEMPLATES)
    .describe(
      'API: JSON {name: {parameters: {Name: {type, required, default}}}} of the provisioning templates batches may use',
    ),
  API_RATE_LIMIT_PER_MINUTE: positiveInt()
    .default(600)
    .describe('API: requests per minute per API key (counted per process)'),
  API_IDEMPOTENCY_TTL_SECONDS: positiveInt()
    .default(86_400)
    .describe('API: seconds an Idempotency-Key answer is replayed; older records are deleted'),
  API_IDEMPOTENCY_SWEEP_SECONDS: positiveInt()
    .default(600)
    .describe('API: how often expired Idempotency-Key records are deleted'),
  API_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, { message: 'must be a size such as 16mb' })
    .default('16mb')
    .describe('API: largest accepted JSON request body'),
  API_DEVICE_CA_PATH: pathUnderStateDir(
    'emulator/client/AmazonRootCA1.pem',
    'API (stations): PEM file of the CA chain a device must trust, sent with its credentials',
  ),
  API_DEVICE_ENDPOINT: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, { message: 'must be host or host:port' })
    .optional()
    .describe(
      'API (stations): AWS IoT data endpoint sent to devices (host or host:port); default: the emulator endpoint.json next to API_DEVICE_CA_PATH',
    ),
  API_KEY_RETENTION_SECONDS: nonNegativeInt()
    .default(0)
    .describe(
      'API (stations): seconds a BURNED unit keeps its sealed private key before it is crypto-shredded (0 = at once)',
    ),
  API_READ_AUDIT: z
    .enum(['each', 'batched', 'sampled'])
    .default('batched')
    .describe(
      'API: audit of plain reads (GET device): each (one insert per read), batched (buffered, written every API_READ_AUDIT_FLUSH_MS), sampled (a fraction API_READ_AUDIT_SAMPLE_RATE, batched); key-material reads are always audited one by one',
    ),
  API_READ_AUDIT_FLUSH_MS: positiveInt()
    .default(1_000)
    .describe('API: most milliseconds a batched read audit event waits before it is written'),
  API_READ_AUDIT_SAMPLE_RATE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.01)
    .describe('API: fraction of plain reads audited when API_READ_AUDIT=sampled'),
  API_MAX_STREAM_UNITS: positiveInt()
    .default(1_000_000)
    .describe('API: most devices one streamed (text/csv or NDJSON) POST /v1/batches/stream may carry'),
  API_OPS_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('API: address of the ops listener (/metrics, /readyz, /admin/queues); loopback by default'),
  API_OPS_PORT: port().default(9460).describe('API: TCP port of the ops listener (0 = any free port)'),
  API_ANON_RATE_LIMIT_PER_MINUTE: positiveInt()
    .default(120)
    .describe('API: requests per minute per client address without a valid API key (counted per process)'),
  API_MAX_EVENT_STREAMS_PER_KEY: positiveInt()
    .default(5)
    .describe(
      'API: event streams (GET /v1/batches/{id}/events and /v1/batches/events together) one API key may hold open at once',
    ),
  API_STATIONS_SERVE_ANY_BATCH: boolean()
    .default(false)
    .describe(
      'API (stations): true lets a station serve batches assigned to no station; false (default) serves only assigned batches',
    ),
  API_TRUST_PROXY: z
    .string()
    .regex(/^(false|loopback|uniquelocal|linklocal|\d+|[0-9a-fA-F.:/, ]+)$/, {
      message: 'must be false, a hop count, loopback/uniquelocal/linklocal or addresses/CIDRs',
    })
    .default('false')
    .describe(
      'API: express trust proxy: false (default: X-Forwarded-* ignored), a hop count, or the proxy addresses/CIDRs; sets the client address and whether the request came over TLS (the admin cookie is Secure then)',
    ),
  API_CSR_KEY_TYPES: z
    .string()
    .regex(/^(ec-p256|rsa-2048)(,(ec-p256|rsa-2048))*$/, {
      message: 'must be ec-p256, rsa-2048 or both, comma-separated',
    })
    .default('ec-p256,rsa-2048')
    .transform((text) => [...new Set(text.split(','))] as ('ec-p256' | 'rsa-2048')[])
    .describe('API (device-csr): key types a unit CSR may carry: ec-p256, rsa-2048, or both comma-separated'),
  API_CSR_REQUIRE_CN_SERIAL: boolean()
    .default(true)
    .describe("API (device-csr): refuse a unit's CSR whose subject CN is not the unit's serial"),
  API_CSR_MAX_BYTES: positiveInt()
    .default(4096)
    .describe('API (device-csr): the largest CSR PEM a station may post for a unit, in bytes'),
  API_CSR_WAIT_MAX_SECONDS: positiveInt()
    .default(30)
    .describe(
      'API (device-csr): the longest a station may wait in one credentials request (?waitSeconds) for a unit being signed',
    ),
  API_SHRED_SWEEP_SECONDS: positiveInt()
    .default(60)
    .describe('API (stations): how often the shred sweep runs when API_KEY_RETENTION_SECONDS > 0'),
  API_BUNDLE_KMS_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe(
      'API (stations): sign credentials bundles with this AWS KMS key (ARN or alias; asymmetric SIGN_VERIFY, ECC_NIST_P256; one KMS Sign per bundle) instead of the P-256 key sealed by the vault; region from the ARN or VAULT_KMS_REGION, endpoint VAULT_KMS_ENDPOINT',
    ),
};

export const apiSchema = z.object({
  ...apiFields,
  ...stateDirFields,
  ...databaseFields,
  ...redisFields,
  ...vaultFields,
  ...logFields,
  ...controlPlaneFields,
});

export type ApiConfig = z.output<typeof apiSchema>;
