/**
 * The workers' settings both chaos scenarios run with: short operation and lock times so that faults
 * and kills are noticed within the run, and a quick stop. Each scenario adds its own token lifetime.
 */
export const CHAOS_WORKER_ENV = {
  CLAIM_OPERATION_TIMEOUT_MS: '1500',
  WORKER_LOCK_DURATION_MS: '3000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_THROTTLE_PAUSE_MS: '200',
  WORKER_RATE_LIMIT_PER_SECOND: '30',
  WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
} as const;
