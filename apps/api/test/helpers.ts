import { endEventStreams } from '../src/services/event-feeds.js';
import { apiSchema, loadConfig, type Env } from '@claimline/config';
import { createPrismaClient, type ApiKeyRole } from '@claimline/db';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection, type Queues } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createLogger, type Logger } from '@claimline/logger';
import type { ReconcileAws } from '@claimline/reconcile';
import type { Redis } from 'ioredis';
import { createApiKeyCache, type ApiKeyCache } from '../src/auth/key-cache.js';
import type { AppDeps } from '../src/deps.js';
import { createApiKey, createApp, type ClaimlineApp } from '../src/index.js';

export type Keys = Record<'admin' | 'mes' | 'viewer' | 'station', string>;

export type TestApi = {
  app: ClaimlineApp;
  /** What the app was built from: a second app on the same deps is a second API process. */
  deps: AppDeps;
  db: TestDatabase;
  queues: Queues;
  redis: Redis;
  keys: Keys;
  /** The app's API-key cache (absent with `keyCache: false`). */
  keyCache?: ApiKeyCache;
  auth(key: string): { Authorization: string };
  counts(): Promise<{ batches: number; devices: number; jobs: number; audit: number }>;
  close(): Promise<void>;
};

/** A real app on its own database clone and queue prefix; close() obliterates and disconnects it all. */
export async function startTestApi(
  env: Env = {},
  options: { maxConnections?: number; logger?: Logger; keyCache?: false; controlPlane?: ReconcileAws } = {},
): Promise<TestApi> {
  const db = await createTestDatabase();
  const prisma = options.maxConnections
    ? createPrismaClient(db.url, { maxConnections: options.maxConnections })
    : db.prisma;
  const prefix = uniqueQueuePrefix('api');
  const redis = createRedisConnection(testRedisUrl(), 'producer');
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const queues = createQueues(redis, prefix);
  const config = loadConfig('api', apiSchema, {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    API_ANON_RATE_LIMIT_PER_MINUTE: '1000000',
    API_READ_AUDIT: 'each',
    ...env,
  });
  const logger = options.logger ?? createLogger({ name: 'api-test', level: 'silent' });
  const keyCache = options.keyCache === false ? undefined : createApiKeyCache(db.url, logger);
  const deps: AppDeps = {
    config,
    prisma,
    redis,
    queues,
    logger,
    keyCache,
    ...(options.controlPlane ? { controlPlane: options.controlPlane } : {}),
  };
  const app = createApp(deps);
  const make = async (role: ApiKeyRole, station?: string) =>
    (await createApiKey(db.prisma, { name: `test ${role}`, role, station })).key;
  const keys: Keys = {
    admin: await make('ADMIN'),
    mes: await make('MES'),
    viewer: await make('VIEWER'),
    station: await make('STATION', 'line-1'),
  };
  return {
    app,
    deps,
    db,
    queues,
    redis,
    keys,
    keyCache,
    auth: (key) => ({ Authorization: `Bearer ${key}` }),
    async counts() {
      const [batches, devices, audit, jobs] = await Promise.all([
        db.prisma.batch.count(),
        db.prisma.device.count(),
        db.prisma.auditEvent.count(),
        queues.provisioning.count(),
      ]);
      return { batches, devices, jobs, audit };
    },
    async close() {
      await endEventStreams();
      await app.stop();
      await keyCache?.close();
      await queues.provisioning.obliterate({ force: true });
      await queues.maintenance.obliterate({ force: true });
      await queues.close();
      redis.disconnect();
      if (prisma !== db.prisma) await prisma.$disconnect();
      await db.drop();
    },
  };
}

export function batchBody(serials: readonly string[], extra: Record<string, unknown> = {}) {
  return {
    externalRef: 'WO-1',
    templateName: 'claimline-default',
    devices: serials.map((serial) => ({ serial })),
    payloadFormat: 'json',
    mode: 'create-keys',
    ...extra,
  };
}

export const serials = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
