import type { Queue } from 'bullmq';
import type { PrismaClient } from '@claimline/db';
import { IN_FLIGHT, requeueStuckUnit, type Actor, type RequeueReason } from '@claimline/device-ledger';
import { enqueueProvisioning } from '@claimline/jobs';
import { provisioningJobOf } from './live-job.js';
import { onQueue } from './queue-unavailable.js';

export type SweepDeps = {
  prisma: PrismaClient;
  /** The provisioning queue (a producer handle). */
  queue: Queue;
  who: Actor;
  /** The workers' device lease (WORKER_DEVICE_LEASE_MS): a unit held longer than this is not being run. */
  leaseMs: number;
  now?: () => Date;
};

type Candidate = { id: string; serial: string; generation: number; state: string; priority: number };

export type Requeued = { serial: string; state: string; generation: number; previousJobState: string };

export type SweepResult = { examined: number; requeued: Requeued[] };

/** In-flight units whose lease lapsed (QUEUED ones: queued before the lease), oldest first. */
async function candidates(prisma: PrismaClient, lapsedBefore: Date, limit: number): Promise<Candidate[]> {
  return prisma.$queryRaw<Candidate[]>`
    SELECT d.id::text AS id, d.serial, d.provision_generation AS generation, d.state::text AS state, b.priority
    FROM device d JOIN batch b ON b.id = d.batch_id
    WHERE d.state = ANY(${[...IN_FLIGHT]}::text[]::"DeviceState"[])
      AND ((d.state = 'QUEUED' AND d.queued_at < ${lapsedBefore})
        OR (d.state <> 'QUEUED' AND (d.claiming_at IS NULL OR d.claiming_at < ${lapsedBefore})))
    ORDER BY d.updated_at
    LIMIT ${limit}`;
}

/**
 * Requeues one unit if no live job will run it: next generation in the ledger (guarded, audited),
 * then the job. A failed enqueue leaves the unit as stuck as before, for the next sweep.
 */
async function requeueIfJobless(
  deps: SweepDeps,
  unit: Candidate,
  reason: RequeueReason,
  lapsedBefore: Date | null,
): Promise<Requeued | { live: string } | null> {
  const job = await provisioningJobOf(deps.queue, unit);
  if (job.live) return { live: job.state };
  const at = (deps.now ?? (() => new Date()))();
  const moved = await requeueStuckUnit(deps.prisma, deps.who, unit, {
    reason,
    lapsedBefore,
    jobState: job.state,
    at,
  });
  if (!moved) return null;
  await onQueue(() =>
    enqueueProvisioning(
      deps.queue,
      [{ deviceId: moved.id, serial: moved.serial, generation: moved.provision_generation }],
      unit.priority,
    ),
  );
  return {
    serial: moved.serial,
    state: moved.state,
    generation: moved.provision_generation,
    previousJobState: job.state,
  };
}

/** One sweep: every in-flight unit with a lapsed lease and no live job is requeued (up to `limit`). */
export async function sweepStuckUnits(deps: SweepDeps, limit = 500): Promise<SweepResult> {
  const now = (deps.now ?? (() => new Date()))();
  const lapsedBefore = new Date(now.getTime() - deps.leaseMs);
  const found = await candidates(deps.prisma, lapsedBefore, limit);
  const requeued: Requeued[] = [];
  for (const unit of found) {
    const outcome = await requeueIfJobless(deps, unit, 'sweeper', lapsedBefore);
    if (outcome && 'serial' in outcome) requeued.push(outcome);
  }
  return { examined: found.length, requeued };
}

export type RequeueOutcome =
  | { kind: 'requeued'; unit: Requeued }
  | { kind: 'not-found' }
  | { kind: 'not-in-flight'; state: string }
  | { kind: 'job-live'; jobState: string }
  | { kind: 'changed' };

/**
 * The admin's requeue of one unit: the same as the sweeper's, without waiting for the lease to lapse
 * (an operator decided). A run that still holds the unit keeps it: the new job finds the lease live
 * and waits for it (docs/worker.md), so this never runs one unit twice at once.
 */
export async function requeueUnit(deps: SweepDeps, serial: string): Promise<RequeueOutcome> {
  const device = await deps.prisma.device.findUnique({
    where: { serial },
    select: { id: true, state: true, provisionGeneration: true, batch: { select: { priority: true } } },
  });
  if (!device) return { kind: 'not-found' };
  if (!IN_FLIGHT.includes(device.state)) return { kind: 'not-in-flight', state: device.state };
  const unit: Candidate = {
    id: device.id,
    serial,
    generation: device.provisionGeneration,
    state: device.state,
    priority: device.batch.priority,
  };
  const outcome = await requeueIfJobless(deps, unit, 'admin', null);
  if (outcome === null) return { kind: 'changed' };
  if ('live' in outcome) return { kind: 'job-live', jobState: outcome.live };
  return { kind: 'requeued', unit: outcome };
}
