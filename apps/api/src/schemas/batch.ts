import { z } from '../openapi/zod.js';
import { deviceStateSchema } from './common.js';

/**
 * create-keys: AWS generates the key; csr: the worker does; device-csr: the unit does and never lets it
 * out (its units wait in AWAITING_CSR until a station posts their CSR).
 */
export const BATCH_MODES = ['create-keys', 'csr', 'device-csr'] as const;

const parameterValue = z.union([z.string(), z.number(), z.boolean()]);
const parameters = z.record(z.string().min(1).max(128), parameterValue);

export type BatchLimits = { serialPattern: string; maxDevices: number };

/** Built per deployment: the serial pattern and the batch limit come from the configuration. */
export function createBatchBodySchema({ serialPattern, maxDevices }: BatchLimits) {
  const serial = z.string().regex(new RegExp(serialPattern), { message: `must match ${serialPattern}` });
  return z
    .object({
      externalRef: z.string().min(1).max(200).describe("The MES's own reference (work order, lot)"),
      templateName: z.string().min(1).max(128),
      templateParameters: parameters.optional().describe('Shared by every device; a device parameter wins'),
      devices: z
        .array(z.object({ serial, parameters: parameters.optional() }).strict())
        .min(1)
        .max(maxDevices),
      payloadFormat: z.enum(['json', 'cbor']),
      mode: z.enum(BATCH_MODES),
      keyAlgorithm: z.enum(['ec-p256', 'rsa-2048']).optional().describe('csr mode: key the worker generates'),
      priority: z.number().int().min(0).max(100).optional().describe('Higher runs first (default 0)'),
      skipExisting: z
        .boolean()
        .optional()
        .describe('Skip serials that already exist instead of refusing the batch'),
    })
    .strict()
    .openapi('CreateBatchRequest');
}

export type CreateBatchBody = z.infer<ReturnType<typeof createBatchBodySchema>>;

export const createBatchResponse = z
  .object({
    id: z.uuid(),
    externalRef: z.string(),
    requested: z.number().int(),
    created: z.number().int(),
    skipped: z.number().int(),
    skippedSerials: z.array(z.string()),
    enqueued: z.number().int(),
  })
  .openapi('CreateBatchResponse');

export const batchStateFilter = z.enum(['open', 'finished', 'cancelled']);

export const listBatchesQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    state: batchStateFilter.optional(),
    externalRef: z.string().min(1).max(200).optional(),
  })
  .strict();

export const batchSummary = z
  .object({
    id: z.uuid(),
    externalRef: z.string(),
    templateName: z.string(),
    payloadFormat: z.enum(['json', 'cbor']),
    mode: z.enum(BATCH_MODES),
    keyAlgorithm: z.enum(['ec-p256', 'rsa-2048']),
    priority: z.number().int(),
    state: batchStateFilter,
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    cancelledAt: z.iso.datetime().nullable(),
  })
  .openapi('BatchSummary');

export const listBatchesResponse = z
  .object({
    items: z.array(batchSummary),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  })
  .openapi('BatchList');

export const batchProgress = z
  .object({
    total: z.number().int(),
    counts: z.record(deviceStateSchema, z.number().int()),
    done: z
      .number()
      .int()
      .describe('Devices whose provisioning ended (registered or later, failed, cancelled)'),
    progressPercent: z.number(),
    throughputPerMinute: z.number().int().describe('Devices whose provisioning ended in the last minute'),
    etaSeconds: z.number().int().nullable(),
    topErrors: z.array(z.object({ code: z.string(), count: z.number().int() })),
    orphanedCertificates: z
      .number()
      .int()
      .describe(
        'Certificates issued but never registered (ORPHANED): keys shredded, deleted at AWS by the maintenance queue',
      ),
    finished: z.boolean(),
  })
  .openapi('BatchProgress');

export const batchDetail = batchSummary.extend({ progress: batchProgress }).openapi('Batch');

export const listDevicesQuery = z
  .object({
    cursor: z.string().min(1).max(200).optional().describe('Opaque; from the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    state: deviceStateSchema.optional(),
  })
  .strict();

export const deviceSummary = z
  .object({
    id: z.uuid(),
    serial: z.string(),
    state: deviceStateSchema,
    thingName: z.string().nullable(),
    attempts: z.number().int(),
    lastErrorCode: z.string().nullable(),
    queuedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('DeviceSummary');

export const listDevicesResponse = z
  .object({ items: z.array(deviceSummary), nextCursor: z.string().nullable() })
  .openapi('DeviceList');

export const batchActionResponse = z
  .object({
    id: z.uuid(),
    affected: z.number().int(),
    enqueued: z.number().int(),
    jobsRemoved: z.number().int().optional(),
  })
  .openapi('BatchActionResult');

export const reportQuery = z.object({ format: z.enum(['csv', 'json']).optional() }).strict();

const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

/** The batch fields of a streamed upload travel in the query; the body is only the device list. */
export const uploadBatchQuery = z
  .object({
    externalRef: z.string().min(1).max(200).describe("The MES's own reference (work order, lot)"),
    templateName: z.string().min(1).max(128),
    templateParameters: z
      .string()
      .max(8_192)
      .optional()
      .describe('JSON object shared by every device; a device parameter wins'),
    payloadFormat: z.enum(['json', 'cbor']),
    mode: z.enum(BATCH_MODES),
    keyAlgorithm: z.enum(['ec-p256', 'rsa-2048']).optional(),
    priority: z.coerce.number().int().min(0).max(100).optional(),
    skipExisting: queryBoolean.optional(),
  })
  .strict();

export type UploadBatchQuery = z.output<typeof uploadBatchQuery>;

/** One device of an upload: a CSV row (serial and parameter columns) or an NDJSON line. */
export function uploadDeviceSchema(serialPattern: string) {
  const serial = z.string().regex(new RegExp(serialPattern), { message: `must match ${serialPattern}` });
  return z.object({ serial, parameters: parameters.optional() }).strict();
}

export const templateParametersSchema = parameters;
