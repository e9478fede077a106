import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections for BullMQ, following its production guide: workers retry forever
 * (`maxRetriesPerRequest: null`) so a Redis restart pauses them instead of failing jobs; producers
 * (the API) fail fast (`enableOfflineQueue: false`) so a request is refused rather than hung.
 */
export type ConnectionRole = 'worker' | 'producer';

export function createRedisConnection(
  redisUrl: string,
  role: ConnectionRole,
  extra: RedisOptions = {},
): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: false, ...extra };
  return new Redis(redisUrl, options);
}
