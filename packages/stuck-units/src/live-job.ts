import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { provisionJobId } from '@claimline/jobs';
import { onQueue } from './queue-unavailable.js';

/** What the queue holds for a unit's current job generation, and whether anything will still run it. */
export type JobLiveness = { jobId: string; state: string; live: boolean };

/** A job in one of these states will be run (again) by the queue itself. */
const WAITING = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);

/**
 * An `active` job is live only while its lock is held: a worker killed mid-flight leaves it active
 * with no lock, and once BullMQ's stalled limit is spent (or no worker checks for stalled jobs) nothing
 * takes it over. Completed, failed or missing (`unknown`) jobs run nothing.
 */
export async function provisioningJobOf(
  queue: Queue,
  unit: { serial: string; generation: number },
): Promise<JobLiveness> {
  const jobId = provisionJobId(unit.serial, unit.generation);
  const state = await onQueue(() => queue.getJobState(jobId));
  if (WAITING.has(state)) return { jobId, state, live: true };
  if (state !== 'active') return { jobId, state, live: false };
  const locked = await onQueue(async () => {
    // BullMQ's Redis backend hands out the ioredis client; its own interface type does not list EXISTS.
    const client = (await queue.getBackend().client) as unknown as Pick<Redis, 'exists'>;
    return (await client.exists(`${queue.toKey(jobId)}:lock`)) === 1;
  });
  return { jobId, state: locked ? 'active' : 'active-unlocked', live: locked };
}
