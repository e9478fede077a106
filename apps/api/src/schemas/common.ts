import { DeviceState } from '@claimline/db';
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

/** The database's states, as they are (the device ledger's table says what leads where). */
export const deviceStateSchema = z.enum(DeviceState);
export type DeviceStateName = z.infer<typeof deviceStateSchema>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Replays the first answer for a retried POST'),
});
