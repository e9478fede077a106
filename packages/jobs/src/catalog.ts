import { z } from 'zod';

/**
 * Every queue and job the product uses, with its payload schema and retry policy. Job data never
 * holds a secret: only ids that the handler resolves from the database.
 */
export const QUEUES = {
  provisioning: 'provisioning',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const provisionDevicePayload = z.object({
  deviceId: z.uuid(),
  serial: z.string().min(1),
});

export type ProvisionDevicePayload = z.infer<typeof provisionDevicePayload>;

export const JOBS = {
  provisionDevice: {
    queue: QUEUES.provisioning,
    name: 'provision-device',
    payload: provisionDevicePayload,
    /** Retryable failures (429, 5xx, time-outs, disconnects) back off with jitter; 4xx fail at once. */
    attempts: 10,
    backoff: { type: 'jittered', delayMs: 1_000, maxDelayMs: 60_000 },
  },
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS]['name'];

/** Delay before attempt `attemptsMade + 1`: exponential with full jitter, capped. */
export function jitteredBackoff(attemptsMade: number, random: () => number = Math.random): number {
  const { delayMs, maxDelayMs } = JOBS.provisionDevice.backoff;
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
