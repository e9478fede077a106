import { z } from 'zod';

/**
 * Every queue and job the product uses, with its payload schema and retry policy. Job data never
 * holds a secret: only ids that the handler resolves from the database.
 */
export const QUEUES = {
  provisioning: 'provisioning',
  /** AWS-side certificate clean-up: revocations, orphans (docs/worker.md, "The maintenance queue"). */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const provisionDevicePayload = z.object({
  deviceId: z.uuid(),
  serial: z.string().min(1),
});

export type ProvisionDevicePayload = z.infer<typeof provisionDevicePayload>;

/** Both maintenance jobs name one certificate row; the handler reads the rest from the database. */
export const certificateMaintenancePayload = z.object({ certificateRowId: z.uuid() });

export type CertificateMaintenancePayload = z.infer<typeof certificateMaintenancePayload>;

/** Maintenance retries: AWS throttling or an outage backs off up to 5 minutes, over about 25 minutes. */
const maintenanceRetry = {
  attempts: 10,
  backoff: { type: 'jittered', delayMs: 2_000, maxDelayMs: 300_000 },
} as const;

export const JOBS = {
  provisionDevice: {
    queue: QUEUES.provisioning,
    name: 'provision-device',
    payload: provisionDevicePayload,
    /** Retryable failures (429, 5xx, time-outs, disconnects) back off with jitter; 4xx fail at once. */
    attempts: 10,
    backoff: { type: 'jittered', delayMs: 1_000, maxDelayMs: 60_000 },
  },
  /** REVOKING (or REVOKED, unconfirmed) → UpdateCertificate REVOKED, detached, then REVOKED. */
  revokeCertificate: {
    queue: QUEUES.maintenance,
    name: 'revoke-certificate',
    payload: certificateMaintenancePayload,
    ...maintenanceRetry,
  },
  /** ORPHANED → detached, INACTIVE and deleted at AWS (if it still exists there). */
  cleanOrphanCertificate: {
    queue: QUEUES.maintenance,
    name: 'clean-orphan-certificate',
    payload: certificateMaintenancePayload,
    ...maintenanceRetry,
  },
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS]['name'];

export type MaintenanceJobName = (typeof JOBS)['revokeCertificate' | 'cleanOrphanCertificate']['name'];

/** Delay before attempt `attemptsMade + 1`: exponential with full jitter, capped. */
export function jitteredBackoff(
  attemptsMade: number,
  random: () => number = Math.random,
  policy: { delayMs: number; maxDelayMs: number } = JOBS.provisionDevice.backoff,
): number {
  const { delayMs, maxDelayMs } = policy;
  const ceiling = Math.min(maxDelayMs, delayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * BullMQ refuses a custom job id with `:` (its key separator). A serial may hold one when the
 * deployment's API_SERIAL_PATTERN allows it, so `:` is percent-encoded, and `%` with it so that two
 * serials never share an id. Serials of the default pattern (letters, digits, `.`, `_`, `-`) are
 * unchanged, and so are their job ids.
 */
function jobIdSafe(serial: string): string {
  return serial.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

/**
 * BullMQ job id of a device's provisioning: `device-<serial>-g<generation>`. Deterministic, so
 * enqueueing a serial twice is a no-op; a deliberate re-provisioning uses the next generation. The
 * generation is always written, so the id decodes one way (the digits after the last `-g`): serial
 * `A` at generation 1 and serial `A-g1` at generation 0 no longer share `device-A-g1`.
 */
export function provisionJobId(serial: string, generation = 0): string {
  return `device-${jobIdSafe(serial)}-g${generation}`;
}

/** Batch priority (higher runs first, 0–100) to BullMQ's (1 is the highest, 0 means none). */
export function toQueuePriority(batchPriority: number): number {
  return 101 - Math.min(100, Math.max(0, Math.round(batchPriority)));
}

/**
 * BullMQ job id of a certificate's maintenance: `revoke-<row uuid>` / `orphan-<row uuid>`. A row id is
 * a uuid, so ids never collide across certificates, and the same certificate's job is never queued
 * twice; a deliberate re-run (reconcile --fix, a second revoke) replaces a finished job of that id.
 */
export function maintenanceJobId(job: MaintenanceJobName, certificateRowId: string): string {
  return `${job === JOBS.revokeCertificate.name ? 'revoke' : 'orphan'}-${certificateRowId}`;
}
