import { z } from '../openapi/zod.js';
import { deviceStateSchema } from './common.js';

export const certificateView = z
  .object({
    certificateId: z.string(),
    status: z.enum(['ISSUED', 'REGISTERING', 'ACTIVE', 'REVOKING', 'ORPHANED', 'REVOKED', 'SHREDDED']),
    createdAt: z.iso.datetime(),
    activatedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('Certificate', { description: 'Identifiers and status only; never key material' });

export const deviceDetail = z
  .object({
    id: z.uuid(),
    serial: z.string(),
    batchId: z.uuid(),
    state: deviceStateSchema,
    thingName: z.string().nullable(),
    attempts: z.number().int(),
    generation: z.number().int(),
    history: z.array(z.object({ state: deviceStateSchema, at: z.iso.datetime() })),
    lastError: z
      .object({ code: z.string(), message: z.string().nullable(), retryable: z.boolean().nullable() })
      .nullable(),
    certificates: z.array(certificateView).optional().describe('With ?include=certificates'),
    audit: z
      .array(
        z.object({
          at: z.iso.datetime(),
          actor: z.string(),
          action: z.string(),
          origin: z.string().nullable(),
        }),
      )
      .optional()
      .describe('With ?include=audit: the last 100 events, newest first'),
  })
  .openapi('Device');

export const deviceQuery = z
  .object({
    include: z
      .string()
      .regex(/^(certificates|audit)(,(certificates|audit))?$/, {
        message: 'a comma-separated list of: certificates, audit',
      })
      .optional()
      .describe('Heavy parts to add: certificates, audit (comma-separated)'),
  })
  .strict();

export const deviceActionResponse = z
  .object({
    serial: z.string(),
    state: deviceStateSchema,
    generation: z.number().int(),
    revokedCertificateIds: z.array(z.string()),
  })
  .openapi('DeviceActionResult');

export const deviceRequeueResponse = z
  .object({
    serial: z.string(),
    state: deviceStateSchema,
    generation: z.number().int().describe('The new job generation (job id device-<serial>-g<generation>)'),
    previousJobState: z
      .string()
      .describe(
        "What the queue held for the unit's previous generation: unknown (gone), failed, completed, active-unlocked",
      ),
  })
  .openapi('DeviceRequeueResult');

export const templatesResponse = z
  .object({
    items: z.array(
      z.object({
        name: z.string(),
        parameters: z.record(
          z.string(),
          z.object({
            type: z.string(),
            required: z.boolean(),
            default: z.union([z.string(), z.number(), z.boolean()]).optional(),
          }),
        ),
      }),
    ),
  })
  .openapi('Templates');
