import { FINDING_KINDS } from '@claimline/reconcile';
import { z } from '../openapi/zod.js';

export const reconcileQuery = z
  .object({
    batchId: z.uuid().optional().describe('Only the units of this batch'),
    format: z.enum(['json', 'csv']).optional().describe('json (default) or csv: one row per finding'),
  })
  .strict();

const findingKind = z.enum(FINDING_KINDS);

export const reconcileReport = z
  .object({
    generatedAt: z.string(),
    batchId: z.uuid().nullable(),
    units: z.number().int(),
    awsCalls: z.object({
      listCertificates: z.number().int(),
      listThingPrincipals: z.number().int(),
      perUnit: z.number(),
    }),
    counts: z.record(findingKind, z.number().int()),
    findings: z.array(
      z.object({
        kind: findingKind,
        serial: z.string(),
        thingName: z.string().nullable(),
        certificateId: z.string().nullable(),
        databaseStatus: z.string().nullable(),
        awsStatus: z.string().nullable(),
      }),
    ),
  })
  .openapi('ReconcileReport');

export const reconcileFixQuery = z
  .object({ batchId: z.uuid().optional().describe('Only the units of this batch') })
  .strict();

export const reconcileFixReport = reconcileReport
  .extend({
    fixes: z.object({
      fixable: z.number().int().describe('Findings with a safe fix'),
      enqueued: z.number().int().describe('Maintenance jobs added (one already queued is not added twice)'),
      manual: z.record(findingKind, z.number().int()).describe('Findings left to an operator, per kind'),
    }),
  })
  .openapi('ReconcileFixReport');
