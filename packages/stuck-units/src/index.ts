export { provisioningJobOf, type JobLiveness } from './live-job.js';
export { startStuckUnitSweeper, type StuckUnitSweeper } from './periodic-sweeper.js';
export { QueueUnavailable } from './queue-unavailable.js';
export { withLock } from './sweep-lock.js';
export {
  requeueUnit,
  sweepStuckUnits,
  type Requeued,
  type RequeueOutcome,
  type SweepDeps,
  type SweepResult,
} from './sweep.js';
