import { IN_FLIGHT } from '@claimline/device-ledger';
import { QueueUnavailable, requeueUnit, type RequeueOutcome } from '@claimline/stuck-units';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { callerOf } from './audit.js';

/**
 * An admin requeues one stuck unit (the stuck-unit sweeper's action, without waiting for the lease:
 * a run that still holds the unit keeps it, the new job waits for the lease). Audited by the ledger.
 */
export async function requeueStuckDevice(ctx: HandlerContext, serial: string) {
  let outcome: RequeueOutcome;
  try {
    outcome = await requeueUnit(
      // The lease is not waited for here (lapsedBefore is null for an admin), so its length is moot.
      { prisma: ctx.deps.prisma, queue: ctx.deps.queues.provisioning, who: callerOf(ctx), leaseMs: 0 },
      serial,
    );
  } catch (error) {
    if (error instanceof QueueUnavailable) {
      ctx.deps.logger.error({ err: error, serial }, 'requeue: the queue is unavailable');
      throw new AppError('QUEUE_UNAVAILABLE', 'the job queue could not be read or written; try again');
    }
    throw error;
  }
  switch (outcome.kind) {
    case 'requeued':
      return outcome.unit;
    case 'not-found':
      throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
    case 'not-in-flight':
      throw new AppError(
        'INVALID_DEVICE_STATE',
        `a ${outcome.state} device is not in flight; requeue applies to ${IN_FLIGHT.join(', ')}`,
        { state: outcome.state },
      );
    case 'job-live':
      throw new AppError('DEVICE_JOB_LIVE', `job of ${serial} is ${outcome.jobState}; it will run the unit`, {
        jobState: outcome.jobState,
      });
    case 'changed':
      throw new AppError('INVALID_DEVICE_STATE', 'the device changed meanwhile; try again');
  }
}
