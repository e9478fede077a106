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
