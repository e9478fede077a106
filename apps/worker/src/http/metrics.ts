import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the worker exposes on /metrics, in one registry per process. */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'claimline_worker_' });
  return {
    registry,
    jobs: new Counter({
      name: 'claimline_worker_jobs_total',
      help: 'Provisioning jobs by outcome (registered, skipped, retry, failed, throttled)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'claimline_worker_step_duration_seconds',
      help: 'Duration of each step of the claim flow',
      labelNames: ['step'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'claimline_worker_rejections_total',
      help: 'Failed claim calls by error code (AWS errorCode, or Timeout/Disconnected)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    connectionsUp: new Gauge({
      name: 'claimline_worker_claim_connections_up',
      help: 'Claim connections currently connected',
      registers: [registry],
    }),
    rateLimitWait: new Counter({
      name: 'claimline_worker_rate_limit_wait_seconds_total',
      help: 'Time spent waiting for the shared per-operation quota',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    quotaStaleSlots: new Counter({
      name: 'claimline_worker_quota_stale_slots_total',
      help: 'Quota slots given back because their answer came too late to start the call on time (a busy host)',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
