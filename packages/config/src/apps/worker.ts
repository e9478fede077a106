import { z } from 'zod';
import { boolean, nonNegativeInt, pathUnderStateDir, port, positiveInt } from '../fields.js';
import { claimFields } from './claim.js';
import { controlPlaneFields } from './control-plane.js';
import { databaseFields, logFields, redisFields, stateDirFields } from './common.js';
import { vaultFields } from './vault.js';

export const workerFields = {
  WORKER_HTTP_HOST: z
    .string()
    .default('127.0.0.1')
    .describe('Worker: address of /healthz, /readyz and /metrics'),
  WORKER_HTTP_PORT: port()
    .default(9464)
    .describe('Worker: port of /healthz, /readyz and /metrics (0 = any free port)'),
  WORKER_RATE_LIMIT_PER_SECOND: positiveInt()
    .default(10)
    .describe(
      'Worker: provisioning jobs started per second, across every worker on every host (BullMQ limiter)',
    ),
  WORKER_QUOTA_CREATE_KEYS_PER_SECOND: nonNegativeInt()
    .default(10)
    .describe('Worker: CreateKeysAndCertificate calls per second, shared by all workers (0 = no limit)'),
  WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: nonNegativeInt()
    .default(15)
    .describe('Worker: CreateCertificateFromCsr calls per second, shared by all workers (0 = no limit)'),
  WORKER_QUOTA_REGISTER_THING_PER_SECOND: nonNegativeInt()
    .default(10)
    .describe('Worker: RegisterThing calls per second, shared by all workers (0 = no limit)'),
  WORKER_QUOTA_GUARD_MS: nonNegativeInt()
    .max(500)
    .default(150)
    .describe(
      'Worker: each AWS quota holds over any 1000 + N ms, so calls whose delays to AWS differ by under N ms never crowd one arrival second',
    ),
  WORKER_THROTTLE_PAUSE_MS: positiveInt()
    .default(2_000)
    .describe('Worker: how long the whole queue pauses when AWS answers 429'),
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt()
    .default(30_000)
    .describe('Worker: on SIGTERM, how long in-flight jobs may take before the process exits anyway'),
  WORKER_LOCK_DURATION_MS: positiveInt()
    .default(60_000)
    .describe('Worker: job lock; a job whose worker died is taken over after at most this long'),
  WORKER_STALLED_INTERVAL_MS: positiveInt()
    .default(30_000)
    .describe('Worker: how often workers look for jobs whose worker died (stalled jobs)'),
  WORKER_DEVICE_LEASE_MS: positiveInt()
    .optional()
    .describe(
      'Worker: how long one attempt owns a device between renewals (default 2 × CLAIM_OPERATION_TIMEOUT_MS + 15 s); a job run twice waits for it',
    ),
  WORKER_SWEEP_INTERVAL_MS: nonNegativeInt()
    .default(60_000)
    .describe(
      'Worker: how often one worker (a Redis lock) requeues stuck units: in flight, lease lapsed, no live job (0 = never)',
    ),
  WORKER_MAINTENANCE_CONCURRENCY: nonNegativeInt()
    .default(2)
    .describe(
      'Worker: maintenance jobs (revoke, orphan clean-up at AWS) this process runs at once (0 = this process runs none)',
    ),
  WORKER_MAINTENANCE_SCAN_INTERVAL_MS: nonNegativeInt()
    .default(15_000)
    .describe(
      'Worker: how often one worker (a Redis lock) enqueues the AWS clean-up of REVOKING, REVOKED and ORPHANED certificates not yet settled at AWS (0 = never)',
    ),
  WORKER_RECONCILE_INTERVAL_MS: nonNegativeInt()
    .default(0)
    .describe(
      'Worker: how often one worker (a Redis lock) runs the reconcile report of every unit against AWS (0 = never, the default)',
    ),
  WORKER_RECONCILE_FIX: boolean()
    .default(false)
    .describe(
      'Worker: the scheduled reconcile also applies the safe fixes through the maintenance queue (as claimline-reconcile --fix)',
    ),
  WORKER_TOKEN_TTL_SECONDS: positiveInt()
    .default(3_600)
    .describe(
      'Worker: validity of an ownership token (AWS: 1 hour); a saved certificate is reused within it',
    ),
  WORKER_SERIAL_PARAMETER: z
    .string()
    .min(1)
    .default('SerialNumber')
    .describe('Worker: template parameter that receives the serial number'),
  WORKER_TEMPLATES_DIR: pathUnderStateDir(
    'emulator/client/templates',
    'Worker: folder of the provisioning templates (<name>.json, as uploaded to AWS): a unit whose RegisterThing answer was lost is proven registered by connecting as the thing name its template gives it',
  ),
  WORKER_VERIFY_CONNECT: boolean()
    .default(false)
    .describe(
      'Worker: after registering, connect once with the new certificate as the thing (then disconnect); a unit that may not connect becomes VERIFY_FAILED before any station can burn it',
    ),
  WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: boolean()
    .default(false)
    .describe(
      'Fault injection (tests, chaos runs): the worker kills itself right after saving a certificate; refused unless CLAIMLINE_TEST_FAULTS is set',
    ),
  CLAIMLINE_TEST_FAULTS: boolean()
    .default(false)
    .describe('Tests only: allows the fault-injection switches (WORKER_FAULT_*); never set in production'),
};

export const workerSchema = z
  .object({
    ...databaseFields,
    ...redisFields,
    ...logFields,
    ...stateDirFields,
    ...vaultFields,
    ...claimFields,
    ...controlPlaneFields,
    ...workerFields,
  })
  .superRefine((config, ctx) => {
    // A switch that SIGKILLs the worker must not be one typo away in production.
    if (config.WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED && !config.CLAIMLINE_TEST_FAULTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED'],
        message:
          'is a fault-injection switch (the worker kills itself): refused unless CLAIMLINE_TEST_FAULTS=1 (tests and chaos runs only)',
      });
    }
  });

export type WorkerConfig = z.output<typeof workerSchema>;
