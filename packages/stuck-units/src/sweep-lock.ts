import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Deletes the lock only if it is still ours: a run that outlived its lock never frees another's.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Runs `work` only if no other process holds `key` (SET NX PX): one sweep at a time across every
 * worker on every host. The lock expires by itself after `ttlMs` if its holder dies.
 */
export async function withLock<T>(
  redis: Redis,
  key: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  const token = randomBytes(16).toString('hex');
  const taken = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (taken !== 'OK') return { ran: false };
  try {
    return { ran: true, value: await work() };
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}
