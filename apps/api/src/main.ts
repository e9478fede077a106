#!/usr/bin/env node
// The API process: parse the environment once, build the dependencies, listen; stop gracefully.
import { apiSchema, loadConfig } from '@claimline/config';
import { openControlPlane } from '@claimline/aws-control-plane';
import { createPrismaClient } from '@claimline/db';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { createLogger } from '@claimline/logger';
import { createApp } from './app.js';
import { createApiKeyCache } from './auth/key-cache.js';
import { endEventStreams } from './services/event-feeds.js';
import { answerClientErrors } from './http/client-error.js';
import { createServer } from './http/listen.js';
import { startIdempotencySweep } from './services/idempotency.js';
import { startShredSweep } from './services/station/shred.js';

const SHUTDOWN_GRACE_MS = 20_000;

async function main(): Promise<void> {
  const config = loadConfig('api', apiSchema);
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL });
  const prisma = createPrismaClient(config.DATABASE_URL.reveal());
  const redis = createRedisConnection(config.REDIS_URL, 'producer');
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const queues = createQueues(redis, config.QUEUE_PREFIX);
  const keyCache = createApiKeyCache(config.DATABASE_URL.reveal(), logger);
  const opened = await openControlPlane(config, redis);
  if (opened.controlPlane) logger.info({ source: opened.controlPlane.source }, 'control plane: reconcile');
  else logger.info({ reason: opened.reason }, 'no control plane: GET /v1/reconcile answers 503');
  const controlPlane = opened.controlPlane;
  const app = createApp({
    config,
    prisma,
    redis,
    queues,
    logger,
    keyCache,
    ...(controlPlane ? { controlPlane } : {}),
  });
  const shredSweep = startShredSweep(
    prisma,
    logger,
    config.API_KEY_RETENTION_SECONDS,
    config.API_SHRED_SWEEP_SECONDS,
  );
  const idempotencySweep = startIdempotencySweep(
    prisma,
    logger,
    config.API_IDEMPOTENCY_TTL_SECONDS,
    config.API_IDEMPOTENCY_SWEEP_SECONDS,
  );

  const { server, scheme } = createServer(app, config);
  server.listen(config.API_PORT, config.API_HOST, () => {
    logger.info({ host: config.API_HOST, port: config.API_PORT, scheme }, 'api listening');
  });
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  const opsServer = app.opsApp.listen(config.API_OPS_PORT, config.API_OPS_HOST, () => {
    logger.info(
      { host: config.API_OPS_HOST, port: config.API_OPS_PORT },
      'api ops listener (/readyz, /metrics)',
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    shredSweep.stop();
    idempotencySweep.stop();
    logger.info({ signal }, 'stopping: no new connections; finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    opsServer.close();
    opsServer.closeAllConnections();
    server.close(async () => {
      await endEventStreams();
      await app.stop();
      await keyCache.close();
      controlPlane?.close();
      await queues.close().catch(() => undefined);
      redis.disconnect();
      await prisma.$disconnect();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    void endEventStreams(); // event streams would otherwise hold the server open
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
