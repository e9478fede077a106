import type { Redis } from 'ioredis';

/**
 * One limit per AWS IoT operation, shared by every worker process on every host: a counter per
 * operation per second in Redis, on Redis's clock. AWS counts calls per second as they arrive, so a
 * call is never started in the last `guardMs` of a second, where network delay could carry it into
 * the next one. Callers wait (on a timer, never blocking the event loop) until their second has room.
 */
export type QuotaOperation = 'CreateKeysAndCertificate' | 'CreateCertificateFromCsr' | 'RegisterThing';

const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local guard = tonumber(ARGV[2])
local second = math.floor(now / 1000)
local into = now - second * 1000
if into >= 1000 - guard then return 1000 - into end
local key = KEYS[1] .. ':' .. second
local used = redis.call('INCR', key)
if used == 1 then redis.call('PEXPIRE', key, 5000) end
if used > limit then return 1000 - into end
return 0
`;

export type CallQuotaOptions = {
  redis: Redis;
  keyPrefix: string;
  /** Calls per second per operation; 0 turns that operation's limit off. */
  limits: Record<QuotaOperation, number>;
  guardMs: number;
  /** Told about every wait, for the rate-limit metrics. */
  onWait?: (operation: QuotaOperation, waitedMs: number) => void;
};

export type CallQuota = { take(operation: QuotaOperation, signal?: AbortSignal): Promise<void> };

type QuotaRedis = Redis & { claimlineTakeSlot(key: string, limit: number, guard: number): Promise<number> };

export function createCallQuota(options: CallQuotaOptions): CallQuota {
  const redis = options.redis as QuotaRedis;
  if (typeof redis.claimlineTakeSlot !== 'function') {
    redis.defineCommand('claimlineTakeSlot', { numberOfKeys: 1, lua: TAKE_SLOT });
  }
  return {
    async take(operation, signal) {
      const limit = options.limits[operation];
      if (limit <= 0) return;
      const started = Date.now();
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = await redis.claimlineTakeSlot(
          `${options.keyPrefix}:quota:${operation}`,
          limit,
          options.guardMs,
        );
        if (waitMs === 0) break;
        // Spread the waiters over the first part of the next second instead of waking them together.
        await sleep(waitMs + Math.floor(Math.random() * 25), signal);
      }
      const waited = Date.now() - started;
      if (waited > 0) options.onWait?.(operation, waited);
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
