import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  certificateMaintenancePayload,
  JOBS,
  jitteredBackoff,
  maintenanceJobId,
  provisionDevicePayload,
  provisionJobId,
  toQueuePriority,
  type MaintenanceJobName,
} from './catalog.js';

export type DeviceToProvision = { deviceId: string; serial: string; generation?: number };

const CHUNK = 1_000;

/**
 * The one way provisioning jobs are created: `addBulk` in chunks, job id from the serial and
 * generation. Safe to call again with the same devices (after a crash between the database commit
 * and the enqueue): BullMQ ignores a job id it already has. Returns the jobs actually added: those
 * whose id the queue did not hold just before (an id already there is not counted again).
 */
export async function enqueueProvisioning(
  queue: Queue,
  devices: readonly DeviceToProvision[],
  batchPriority: number,
): Promise<number> {
  const priority = toQueuePriority(batchPriority);
  let enqueued = 0;
  for (let start = 0; start < devices.length; start += CHUNK) {
    const chunk = devices.slice(start, start + CHUNK).map((device) => ({
      name: JOBS.provisionDevice.name,
      data: provisionDevicePayload.parse({ deviceId: device.deviceId, serial: device.serial }),
      opts: {
        jobId: provisionJobId(device.serial, device.generation ?? 0),
        priority,
        attempts: JOBS.provisionDevice.attempts,
        backoff: { type: 'jittered' },
        removeOnComplete: { age: 24 * 3600, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    }));
    // One EXISTS over the chunk's job keys (Redis counts the ones present). BullMQ's Redis backend
    // hands out the ioredis client; its own interface type does not list EXISTS.
    const client = (await queue.getBackend().client) as unknown as Pick<Redis, 'exists'>;
    const present = await client.exists(...chunk.map((job) => queue.toKey(job.opts.jobId)));
    enqueued += chunk.length - Number(present);
    await queue.addBulk(chunk);
  }
  return enqueued;
}

/** For `new Worker(…, { settings: { backoffStrategy } })`: the catalog's jittered backoff. */
export function backoffStrategy(attemptsMade: number, type?: string): number {
  if (type === 'jittered') return jitteredBackoff(attemptsMade);
  if (type === 'jittered-maintenance')
    return jitteredBackoff(attemptsMade, Math.random, JOBS.revokeCertificate.backoff);
  return -1;
}

export type MaintenanceRequest = { job: MaintenanceJobName; certificateRowId: string };

/**
 * The one way maintenance jobs are created. Job id from the job and the certificate row (idempotent:
 * a job still waiting, delayed or active is kept as it is). `replaceFinished` (an operator's request:
 * revoke, reconcile --fix) first removes a completed or failed job of the same id, so the work runs
 * again; the periodic scan chooses which (a function), so a job that failed for good is not re-run
 * every scan. Returns the jobs added.
 */
export async function enqueueMaintenance(
  queue: Queue,
  requests: readonly MaintenanceRequest[],
  options: { replaceFinished: boolean | ((job: Job, state: 'completed' | 'failed') => boolean) },
): Promise<number> {
  const replace = (job: Job, state: string) =>
    (state === 'completed' || state === 'failed') &&
    (typeof options.replaceFinished === 'function'
      ? options.replaceFinished(job, state)
      : options.replaceFinished);
  let added = 0;
  for (let start = 0; start < requests.length; start += CHUNK) {
    const chunk = requests.slice(start, start + CHUNK);
    const jobs = [];
    for (const request of chunk) {
      const jobId = maintenanceJobId(request.job, request.certificateRowId);
      const existing = await queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        if (!replace(existing, state)) continue;
        await existing.remove();
      }
      jobs.push({
        name: request.job,
        data: certificateMaintenancePayload.parse({ certificateRowId: request.certificateRowId }),
        opts: {
          jobId,
          attempts: JOBS.revokeCertificate.attempts,
          backoff: { type: 'jittered-maintenance' },
          removeOnComplete: { age: 24 * 3600, count: 100_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      });
    }
    if (jobs.length > 0) await queue.addBulk(jobs);
    added += jobs.length;
  }
  return added;
}
