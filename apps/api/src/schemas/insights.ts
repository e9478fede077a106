import { z } from '../openapi/zod.js';
import { batchStateFilter } from './batch.js';

export const throughputQuery = z
  .object({
    bucketSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('Width of each bucket, counted from the batch creation'),
  })
  .strict();

export const batchThroughputResponse = z
  .object({
    batchId: z.uuid(),
    bucketSeconds: z.number().int(),
    buckets: z.array(
      z.object({
        at: z.iso.datetime().describe('Start of the bucket'),
        registered: z.number().int(),
        failed: z.number().int(),
      }),
    ),
  })
  .openapi('BatchThroughput');

export const batchFailuresResponse = z
  .object({
    batchId: z.uuid(),
    failed: z.number().int().describe('FAILED devices (what retryBatch queues again)'),
    byCode: z.array(
      z.object({
        code: z.string().describe('The last AWS error code (UNKNOWN when none was recorded)'),
        count: z.number().int(),
        retryable: z.boolean().nullable(),
        serials: z.array(z.string()).describe('Up to five serials, in order'),
      }),
    ),
    orphanedCertificates: z.object({
      total: z.number().int(),
      items: z
        .array(
          z.object({
            certificateId: z.string(),
            serial: z.string(),
            orphanedAt: z.iso.datetime().nullable(),
          }),
        )
        .describe('The 100 most recent; ids only, never key material'),
    }),
  })
  .openapi('BatchFailures');

export const stationListResponse = z
  .object({
    items: z.array(
      z.object({
        name: z.string(),
        line: z.string().nullable(),
        createdAt: z.iso.datetime(),
        revokedAt: z.iso.datetime().nullable(),
        lastSeenAt: z.iso
          .datetime()
          .nullable()
          .describe("Last use of one of the station's keys (recorded at most once a minute)"),
        lastHour: z.object({
          downloaded: z.number().int(),
          burned: z.number().int(),
          burnFailed: z.number().int(),
        }),
        burnFailures: z.number().int().describe('Units this station downloaded that are BURN_FAILED now'),
        assignedBatches: z.array(
          z.object({ id: z.uuid(), externalRef: z.string(), state: batchStateFilter }),
        ),
      }),
    ),
  })
  .openapi('StationActivityList');
