import type { ApiConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import type { Queues } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import type { ReconcileAws } from '@claimline/reconcile';
import type { Redis } from 'ioredis';
import type { ApiKeyCache } from './auth/key-cache.js';
import type { DeviceViewReader } from './services/device-view.js';
import type { ReadAudit } from './services/read-audit.js';

/** Everything the app needs from outside; `main.ts` builds it once, tests build it per file. */
export type AppDeps = {
  config: ApiConfig;
  prisma: PrismaClient;
  /** The producer connection the queues use; also pinged by /readyz. */
  redis: Redis;
  queues: Queues;
  logger: Logger;
  /** Optional: without it every request looks its key up (main.ts and the API tests give one). */
  keyCache?: ApiKeyCache;
  /**
   * Station request signatures (RFC 9421) are required unless this is false: only the station benchmark
   * sets it, to measure their cost. Not a configuration setting.
   */
  stationSignatures?: boolean;
  /** The AWS IoT control plane GET /v1/reconcile compares with; absent: that route answers 503. */
  controlPlane?: ReconcileAws;
};

/** What the handlers see: the dependencies and the app's own services (created by createApp). */
export type AppServices = AppDeps & { readAudit: ReadAudit; deviceViews: DeviceViewReader };
