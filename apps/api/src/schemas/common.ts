import { z } from '../openapi/zod.js';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code'),
    instance: z.string().optional(),
    issues: z
      .array(
        z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string() }),
      )
      .optional(),
    serials: z.array(z.string()).optional().describe('The serial numbers concerned (duplicates, existing)'),
  })
  .catchall(z.unknown())
  .openapi('Problem', { description: 'RFC 9457 problem details' });

export const batchIdParams = z.object({ id: z.uuid().describe('Batch id') }).strict();
export const serialParams = z
  .object({ serial: z.string().min(1).max(256).describe('Device serial number') })
  .strict();

export { deviceStateSchema, type DeviceStateName } from '@claimline/station-contract';

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/, { message: 'must be 1-255 visible ASCII characters' })
    .optional()
    .describe('Replays the first answer for a retried POST (1-255 visible ASCII characters)'),
});
