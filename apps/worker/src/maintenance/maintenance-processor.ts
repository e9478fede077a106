import { UnrecoverableError, type Job } from 'bullmq';
import { loadMaintenanceCertificate, recordAwsCleanUpBlocked } from '@claimline/device-ledger';
import { certificateMaintenancePayload, JOBS } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import {
  classifyMaintenanceFailure,
  cleanOrphanAtAws,
  revokeAtAws,
  type MaintenanceDeps,
  type MaintenanceOutcome,
} from './certificate-maintenance.js';

const SERVICES: Record<string, (deps: MaintenanceDeps, id: string) => Promise<MaintenanceOutcome>> = {
  [JOBS.revokeCertificate.name]: revokeAtAws,
  [JOBS.cleanOrphanCertificate.name]: cleanOrphanAtAws,
};

/**
 * The maintenance queue's handler: parse, call the service, turn a failure into a queue decision. A
 * failure that ends the job (permanent, or the last attempt) is audited on the certificate
 * (`certificate.aws-clean-up-blocked`, with its code), and the job fails with `<code>: <message>` as
 * its reason in the queue dashboard; the certificate keeps its status (REVOKING stays REVOKING).
 */
export function createMaintenanceProcessor(deps: MaintenanceDeps & { logger: Logger }) {
  return async (job: Job): Promise<MaintenanceOutcome> => {
    const service = SERVICES[job.name];
    if (!service) throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
    const { certificateRowId } = certificateMaintenancePayload.parse(job.data);
    const log = deps.logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      const outcome = await service(deps, certificateRowId);
      if (outcome.kind !== 'skipped') log.info({ outcome }, 'certificate settled at AWS');
      return outcome;
    } catch (error) {
      const failure = classifyMaintenanceFailure(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (failure.retryable && !lastAttempt) {
        log.warn(
          { code: failure.code, reason: failure.message },
          'maintenance job failed; retried with back-off',
        );
        throw error;
      }
      const cert = await loadMaintenanceCertificate(deps.prisma, certificateRowId);
      if (cert) await recordAwsCleanUpBlocked(deps.prisma, deps.who, cert, failure);
      log.error({ code: failure.code, reason: failure.message }, 'maintenance job failed for good');
      throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
    }
  };
}
