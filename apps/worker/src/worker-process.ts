import os from 'node:os';
import type http from 'node:http';
import { Worker } from 'bullmq';
import type { WorkerConfig } from '@claimline/config';
import { createPrismaClient } from '@claimline/db';
import { backoffStrategy, createRedisConnection, QUEUES } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import { createVault } from '@claimline/vault';
import { createClaimGateway, type ClaimGatewayHandle } from './claim-gateway.js';
import { createWorkerMetrics } from './http/metrics.js';
import { startOpsServer } from './http/ops-server.js';
import { createProvisioningProcessor } from './provisioning/provisioning-processor.js';
import { createCallQuota } from '@claimline/call-quota';
import { openControlPlane } from '@claimline/aws-control-plane';
import { runStuckUnitSweep } from './stuck-unit-sweep.js';
import { runMaintenance } from './maintenance/run-maintenance.js';

export type WorkerProcess = {
  /** Address of /healthz, /readyz, /metrics. */
  opsUrl: string;
  /** Takes no new job, lets the ones in flight finish (up to the shutdown time-out), closes everything. */
  close(): Promise<void>;
};

/** Everything one worker process runs, built from its parsed configuration. */
export async function startWorkerProcess(config: WorkerConfig, logger: Logger): Promise<WorkerProcess> {
  const identity = `${os.hostname()}-${process.pid}`;
  const metrics = createWorkerMetrics();
  const prisma = createPrismaClient(config.DATABASE_URL.reveal(), {
    maxConnections: Math.min(10, config.CLAIM_POOL_SIZE + 2),
  });
  const vault = createVault(config);
  const bullConnection = createRedisConnection(config.REDIS_URL, 'worker');
  const quotaConnection = createRedisConnection(config.REDIS_URL, 'worker');
  const quota = createCallQuota({
    redis: quotaConnection,
    keyPrefix: config.QUEUE_PREFIX,
    limits: {
      CreateKeysAndCertificate: config.WORKER_QUOTA_CREATE_KEYS_PER_SECOND,
      CreateCertificateFromCsr: config.WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND,
      RegisterThing: config.WORKER_QUOTA_REGISTER_THING_PER_SECOND,
    },
    guardMs: config.WORKER_QUOTA_GUARD_MS,
    onWait: (operation, waitedMs) => metrics.rateLimitWait.inc({ operation }, waitedMs / 1000),
    onStaleSlot: (operation) => metrics.quotaStaleSlots.inc({ operation }),
  });
  const claims: ClaimGatewayHandle = createClaimGateway(config, logger, quota);
  const opened = await openControlPlane(config, quotaConnection);
  const controlPlane = opened.controlPlane;
  if (controlPlane) logger.info({ source: controlPlane.source }, 'control plane: resolves lost answers');
  else logger.info({ reason: opened.reason }, 'no control plane: lost answers are resolved by connect probe');

  const who = { actor: `worker:${identity}`, origin: os.hostname() };
  const leaseMs = config.WORKER_DEVICE_LEASE_MS ?? 2 * config.CLAIM_OPERATION_TIMEOUT_MS + 15_000;
  const processor = createProvisioningProcessor({
    prisma,
    vault,
    claims,
    who,
    serialParameter: config.WORKER_SERIAL_PARAMETER,
    templatesDir: config.WORKER_TEMPLATES_DIR,
    verifyConnect: config.WORKER_VERIFY_CONNECT,
    controlPlane,
    tokenTtlMs: config.WORKER_TOKEN_TTL_SECONDS * 1000,
    leaseMs,
    timeStep: async (step, run) => {
      const end = metrics.stepDuration.startTimer({ step });
      try {
        return await run();
      } finally {
        end();
      }
    },
    ...(config.WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED
      ? {
          afterCertificateSaved: (serial: string) => {
            logger.warn({ serial }, 'fault injection: crashing after the certificate was saved');
            process.kill(process.pid, 'SIGKILL');
          },
        }
      : {}),
    logger,
    metrics,
    throttlePauseMs: config.WORKER_THROTTLE_PAUSE_MS,
    // Called only while a job runs, by which time `worker` below exists.
    worker: () => worker,
  });

  const worker: Worker = new Worker(QUEUES.provisioning, processor, {
    connection: bullConnection,
    prefix: config.QUEUE_PREFIX,
    // One flow per claim connection: more concurrency would only queue inside the pool.
    concurrency: config.CLAIM_POOL_SIZE,
    limiter: { max: config.WORKER_RATE_LIMIT_PER_SECOND, duration: 1_000 },
    settings: { backoffStrategy },
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  let server: http.Server | undefined;
  server = await startOpsServer({
    host: config.WORKER_HTTP_HOST,
    port: config.WORKER_HTTP_PORT,
    registry: metrics.registry,
    readiness: [
      { name: 'postgres', check: async () => void (await prisma.$queryRaw`SELECT 1`) },
      { name: 'redis', check: async () => void (await quotaConnection.ping()) },
      {
        name: 'claim-connections',
        check: async () => {
          if (claims.counts().up === 0) throw new Error('no claim connection is up');
        },
      },
    ],
  });
  const address = server.address();
  const opsUrl =
    typeof address === 'object' && address ? `http://${config.WORKER_HTTP_HOST}:${address.port}` : '';
  const gaugeTimer = setInterval(() => metrics.connectionsUp.set(claims.counts().up), 1_000).unref();

  void worker.run();
  const sweep = runStuckUnitSweep(config, { prisma, who, leaseMs, logger });
  const maintenance = runMaintenance(config, {
    prisma,
    who,
    controlPlane,
    absence: opened.controlPlane ? '' : opened.reason,
    logger,
  });
  logger.info(
    { opsUrl, concurrency: config.CLAIM_POOL_SIZE, queuePrefix: config.QUEUE_PREFIX },
    'worker started',
  );

  let closing: Promise<void> | undefined;
  return {
    opsUrl,
    close() {
      closing ??= (async () => {
        clearInterval(gaugeTimer);
        await sweep.close();
        const timeout = new Promise<'timeout'>((resolve) =>
          setTimeout(() => resolve('timeout'), config.WORKER_SHUTDOWN_TIMEOUT_MS).unref(),
        );
        // worker.close() waits for the jobs in flight; past the time-out their locks lapse and
        // another worker picks them up as stalled jobs, so nothing is lost either way.
        const result = await Promise.race([worker.close().then(() => 'closed' as const), timeout]);
        if (result === 'timeout')
          logger.warn('shutdown time-out: leaving in-flight jobs to be recovered as stalled');
        await maintenance.close();
        await claims.close();
        controlPlane?.close();
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        server = undefined;
        await prisma.$disconnect();
        bullConnection.disconnect();
        quotaConnection.disconnect();
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}
