import { z } from 'zod';
import { logLevel, secretUrl, url } from '../fields.js';

/** Fields shared by several processes. Each app's schema spreads the ones it needs. */

/** The local defaults: the application's login role, and the owner that runs the migrations. */
export const DEFAULT_DATABASE_URL = 'postgresql://claimline_runtime@127.0.0.1:5432/claimline';
export const DEFAULT_MIGRATION_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/claimline';

export const databaseFields = {
  DATABASE_URL: secretUrl(['postgres', 'postgresql'])
    .prefault(DEFAULT_DATABASE_URL)
    .describe(
      'PostgreSQL connection URL of the application role: a member of claimline_app, without DDL or superuser (docs/operations.md, "Database roles")',
    ),
};

export const redisFields = {
  REDIS_URL: url(['redis', 'rediss'])
    .default('redis://127.0.0.1:6379')
    .describe('Redis connection URL for the queues and the shared rate limit'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/)
    .default('claimline')
    .describe('Key prefix of every BullMQ queue, so several deployments can share one Redis'),
};

export const logFields = {
  LOG_LEVEL: logLevel().default('info').describe('pino log level'),
};

export const stateDirFields = {
  STATE_DIR: z
    .string()
    .min(1)
    .default('.claimline')
    .describe(
      'Directory for local state: the emulator registry and PKI, the client files it writes; the defaults of the paths shown as <STATE_DIR>/… follow it',
    ),
};
