import type { Redis } from 'ioredis';

/**
 * One limit per AWS IoT operation, shared by every worker process on every host, on Redis's clock.
 *
 * AWS counts calls per second as they *arrive*, and a call reaches it some time after it started
 * here: network, event loop, a busy host. A counter per clock second lets `limit` calls start at the
 * end of one second and `limit` more at the start of the next; any delay then lands up to 2 × limit in
 * one arrival second (measured: 11 against 10 in the worker bench, 7 against 5 on a loaded machine).
 * So this is a sliding window a little longer than a second: at most `limit` calls start in any
 * `1000 + guardMs` ms. As long as calls reach AWS within `guardMs` of each other's delays, no arrival
 * second holds more than `limit`, whatever second boundaries fall where. The price is throughput:
 * `limit × 1000 / (1000 + guardMs)` per second at most (≈ 0.87 of the limit with the default 150 ms).
 * Callers wait on a timer (never blocking the event loop) until the window has room.
 *
 * The guard covers delays *after* a slot is taken, so a slot must be used at once: a slot whose answer
 * reaches the caller more than `guardMs / 2` after the caller asked for it (a busy event loop, a slow
 * Redis) is given back and taken anew, so that a call never starts long after the time it was counted
 * at (measured before: 12–14 arrivals in one second against 10 with three workers at load 24).
 *
 * A call that was held up on its way for a reason the caller knows of (the control plane opening a new
 * TLS connection: a handshake between the count and the arrival, longer than the guard) may have
 * arrived at any time until its answer: `restamp()` then moves its slot to now (Redis's clock), so the
 * window counts it as late as it can have arrived (measured: at the start of a reconcile run, 25 calls
 * on new connections arrived 200–500 ms after their slots, and 114–125 calls landed in one second
 * against 100).
 *
 * Used for the claim flow's MQTT operations (apps/worker) and the control plane's REST operations
 * (packages/aws-control-plane); each caller names its own operations and Redis key prefix.
 */

const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = 1000 + tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return math.max(1, oldest + window - now + 1)
end
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now, id)
redis.call('PEXPIRE', KEYS[1], window * 2)
redis.call('PEXPIRE', KEYS[2], window * 2)
return -id
`;

export type CallQuotaOptions<Operation extends string> = {
  redis: Redis;
  keyPrefix: string;
  /** Calls per second per operation; 0 turns that operation's limit off. */
  limits: Record<Operation, number>;
  guardMs: number;
  /** Told about every wait, for the rate-limit metrics. */
  onWait?: (operation: Operation, waitedMs: number) => void;
  /** Told when a slot came back too late to be used and was given back. */
  onStaleSlot?: (operation: Operation) => void;
};

const RESTAMP_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], (1000 + tonumber(ARGV[2])) * 2)
return now
`;

/** A slot taken: `restamp` counts it again at the current time (see above); a no-op without a limit. */
export type Slot = { restamp(): Promise<void> };

export type CallQuota<Operation extends string> = {
  take(operation: Operation, signal?: AbortSignal): Promise<Slot>;
};

type QuotaRedis = Redis & {
  claimlineTakeSlot(key: string, sequence: string, limit: number, guard: number): Promise<number>;
  claimlineRestampSlot(key: string, id: string, guard: number): Promise<number>;
};

const UNLIMITED: Slot = { restamp: async () => undefined };

export function createCallQuota<Operation extends string>(
  options: CallQuotaOptions<Operation>,
): CallQuota<Operation> {
  const redis = options.redis as QuotaRedis;
  if (typeof redis.claimlineTakeSlot !== 'function') {
    redis.defineCommand('claimlineTakeSlot', { numberOfKeys: 2, lua: TAKE_SLOT });
  }
  if (typeof redis.claimlineRestampSlot !== 'function') {
    redis.defineCommand('claimlineRestampSlot', { numberOfKeys: 1, lua: RESTAMP_SLOT });
  }
  return {
    async take(operation, signal) {
      const limit = options.limits[operation];
      if (limit <= 0) return UNLIMITED;
      const started = Date.now();
      const key = `${options.keyPrefix}:quota-window:${operation}`;
      const freshMs = options.guardMs / 2;
      let id: string;
      for (;;) {
        signal?.throwIfAborted();
        const asked = Date.now();
        const answer = await redis.claimlineTakeSlot(key, `${key}:seq`, limit, options.guardMs);
        if (answer < 0) {
          id = String(-answer);
          // Counted at a Redis time after `asked`: still fresh if the answer came back quickly.
          if (Date.now() - asked <= freshMs) break;
          await redis.zrem(key, id);
          options.onStaleSlot?.(operation);
          continue;
        }
        // Spread the waiters a little instead of waking them together.
        await sleep(answer + Math.floor(Math.random() * 25), signal);
      }
      const waited = Date.now() - started;
      if (waited > 0) options.onWait?.(operation, waited);
      return {
        restamp: async () => {
          await redis.claimlineRestampSlot(key, id, options.guardMs);
        },
      };
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
