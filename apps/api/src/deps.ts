import type { ApiConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import type { Queues } from '@claimline/jobs';
import type { Logger } from '@claimline/logger';
import type { ReconcileAws } from '@claimline/reconcile';
import type { Redis } from 'ioredis';

/** Everything the app needs from outside; `main.ts` builds it once, tests build it per file. */
export type AppDeps = {
  config: ApiConfig;
  prisma: PrismaClient;
  /** The producer connection the queues use; also pinged by /readyz. */
  redis: Redis;
  queues: Queues;
  logger: Logger;
  /** The AWS IoT control plane GET /v1/reconcile compares with; absent: that route answers 503. */
  controlPlane?: ReconcileAws;
};
