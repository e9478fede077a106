import { z } from 'zod';
import { OPERATIONS } from '../options.js';

/** Faults and quotas as they arrive from outside (admin API, environment, command line). */
const rate = z.number().min(0).max(1);
const faultRates = z.object({
  delayMs: z.number().int().min(0).max(60_000),
  dropRate: rate,
  errorRate: rate,
  throttleRate: rate,
  disconnectAfterRequestRate: rate,
});
export const faultsSchema = faultRates
  .extend({
    seed: z.number().int(),
    operations: z.partialRecord(z.enum(OPERATIONS), faultRates.partial()),
  })
  .partial()
  .strict();

const perSecond = z.number().min(0);
export const quotasSchema = z.union([
  z.literal('off'),
  z
    .object({
      registerThingPerSecond: perSecond,
      createKeysAndCertificatePerSecond: perSecond,
      createCertificateFromCsrPerSecond: perSecond,
      connectPerSecond: perSecond,
      connectPerClientIdPerSecond: perSecond,
      publishPerConnectionPerSecond: perSecond,
    })
    .partial()
    .strict(),
]);
