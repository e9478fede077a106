import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { provisionDevicePayload } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import type { WorkerMetrics } from '../http/metrics.js';
import { markBatchFinishedIfDone, markFailed, recordFailure } from '@claimline/device-ledger';
import { classifyFailure } from './classify-failure.js';
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
        await recordFailure(deps.prisma, deviceId, failure);
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
        const batchId = await markFailed(deps, deviceId, failure);
        if (batchId) await markBatchFinishedIfDone(deps.prisma, batchId);
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      }
      deps.metrics.jobs.inc({ outcome: 'retry' });
      log.warn({ code: failure.code }, `will retry: ${failure.message}`);
      await recordFailure(deps.prisma, deviceId, failure);
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
