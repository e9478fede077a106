import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { PrismaClient } from '@claimline/db';
import { provisionDevicePayload } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import type { WorkerMetrics } from '../http/metrics.js';
import { markBatchFinishedIfDone } from './batch-completion.js';
import { classifyFailure } from './classify-failure.js';
import type { ClaimFailure } from './claim-port.js';
import { provisionDevice, type ProvisionDeps } from './provision-device.js';

export type ProcessorDeps = ProvisionDeps & {
  logger: Logger;
  metrics: WorkerMetrics;
  /** How long the whole queue pauses, for every worker, when AWS answers 429. */
  throttlePauseMs: number;
  worker: () => Worker | undefined;
};

/** The BullMQ handler: parse the payload, call the service, turn its failure into a queue decision. */
export function createProvisioningProcessor(deps: ProcessorDeps) {
  return async (job: Job, token?: string): Promise<{ outcome: string }> => {
    const { deviceId, serial } = provisionDevicePayload.parse(job.data);
    const log = deps.logger.child({ serial, jobId: job.id, attempt: job.attemptsMade + 1 });
    let outcome;
    try {
      outcome = await provisionDevice(deps, deviceId);
    } catch (error) {
      const failure = classifyFailure(error);
      deps.metrics.rejections.inc({ code: failure.code });
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (failure.throttled && !lastAttempt) {
        deps.metrics.jobs.inc({ outcome: 'throttled' });
        log.warn({ code: failure.code }, 'throttled by AWS: pausing the queue');
        await recordError(deps.prisma, deviceId, failure);
        const worker = deps.worker();
        if (worker) {
          await worker.rateLimit(deps.throttlePauseMs);
          throw Worker.RateLimitError();
        }
        throw error;
      }
      if (!failure.retryable || lastAttempt) {
        deps.metrics.jobs.inc({ outcome: 'failed' });
        log.error(
          { code: failure.code, statusCode: failure.statusCode, retryable: failure.retryable },
          failure.message,
        );
        await markFailed(deps, deviceId, failure);
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      }
      deps.metrics.jobs.inc({ outcome: 'retry' });
      log.warn({ code: failure.code }, `will retry: ${failure.message}`);
      await recordError(deps.prisma, deviceId, failure);
      throw error;
    }
    deps.metrics.jobs.inc({ outcome: outcome.kind });
    if (outcome.kind === 'busy') {
      // Another run holds the device (this job was taken over while it still ran): come back when its
      // lease may have lapsed, without using up an attempt.
      log.info({ retryInMs: outcome.retryInMs }, 'device busy with another run: job delayed');
      await job.moveToDelayed(Date.now() + outcome.retryInMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'registered')
      log.info(
        { thingName: outcome.thingName, reused: outcome.reusedCertificate, evidence: outcome.evidence },
        'registered',
      );
    else log.info({ state: outcome.state }, 'nothing to do');
    return { outcome: outcome.kind };
  };
}

async function recordError(prisma: PrismaClient, deviceId: string, failure: ClaimFailure): Promise<void> {
  await prisma.device.updateMany({
    where: { id: deviceId },
    data: {
      lastErrorCode: failure.code,
      lastErrorMessage: failure.message,
      lastErrorRetryable: failure.retryable,
    },
  });
}

async function markFailed(deps: ProcessorDeps, deviceId: string, failure: ClaimFailure): Promise<void> {
  const batchId = await deps.prisma.$transaction(async (tx) => {
    const changed = await tx.device.updateMany({
      where: { id: deviceId, state: { in: ['QUEUED', 'CLAIMING', 'CERT_ISSUED'] } },
      data: {
        state: 'FAILED',
        failedAt: new Date(),
        lastErrorCode: failure.code,
        lastErrorMessage: failure.message,
        lastErrorRetryable: failure.retryable,
      },
    });
    if (changed.count === 0) return null;
    const device = await tx.device.findUniqueOrThrow({ where: { id: deviceId }, select: { batchId: true } });
    await tx.auditEvent.create({
      data: {
        actor: deps.actor,
        origin: deps.origin,
        action: 'device.failed',
        deviceId,
        batchId: device.batchId,
        details: { code: failure.code, statusCode: failure.statusCode ?? null, message: failure.message },
      },
    });
    return device.batchId;
  });
  if (batchId) await markBatchFinishedIfDone(deps.prisma, batchId);
}
