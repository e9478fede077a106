import type { PrismaClient } from '@claimline/db';
import type { Queues } from '@claimline/jobs';
import type { RequestHandler } from 'express';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = { registry: Registry; observe: RequestHandler };

/** BullMQ job states reported by claimline_queue_jobs. Jobs with a priority wait in `prioritized`. */
export const QUEUE_JOB_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
] as const;

/** One registry per app (tests build several apps in one process). Gauges are computed on scrape. */
export function createMetrics(prisma: PrismaClient, queues?: Queues): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'claimline_batches',
    help: 'Batches by state (open, finished, cancelled)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await prisma.$queryRawUnsafe<{ state: string; n: number }[]>(
        `SELECT CASE WHEN cancelled_at IS NOT NULL THEN 'cancelled' WHEN finished_at IS NOT NULL THEN 'finished' ELSE 'open' END AS state,
                count(*)::int AS n FROM batch GROUP BY 1`,
      );
      this.reset();
      for (const state of ['open', 'finished', 'cancelled'])
        this.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    },
  });
  new Gauge({
    name: 'claimline_devices',
    help: 'Devices by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await prisma.$queryRawUnsafe<{ state: string; n: number }[]>(
        'SELECT state::text AS state, count(*)::int AS n FROM device GROUP BY state',
      );
      this.reset();
      for (const row of rows) this.set({ state: row.state }, row.n);
    },
  });
  if (queues) {
    new Gauge({
      name: 'claimline_queue_jobs',
      help: 'BullMQ jobs by queue and state; waiting + prioritized is the backlog no worker has started (docs/scaling.md)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        // On a Redis failure the gauge is left out of this scrape rather than failing /metrics.
        const counts = await Promise.all(
          queues.all.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_JOB_STATES)] as const),
        ).catch(() => []);
        this.reset();
        for (const [queue, byState] of counts)
          for (const state of QUEUE_JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
      },
    });
  }
  const observe: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route template, never the raw URL: serials and ids would explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || 'unmatched';
      end({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, observe };
}
