import { z } from 'zod';
import { nonNegativeInt, pathUnderStateDir, port, positiveInt } from '../fields.js';
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
  API_SHRED_SWEEP_SECONDS: positiveInt()
    .default(60)
    .describe('API (stations): how often the shred sweep runs when API_KEY_RETENTION_SECONDS > 0'),
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
