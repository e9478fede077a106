import { Redis } from 'ioredis';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createCallQuota } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

/** Keeps the event loop busy for `ms`, as a loaded host does between a request and its answer. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('call quota (a sliding window in real Redis)', () => {
  it('holds at most `limit` calls in any 1000 + guard ms, and makes the rest wait', async () => {
    const keyPrefix = uniqueQueuePrefix('quota');
    const quota = createCallQuota({ redis, keyPrefix, limits: { Op: 3 }, guardMs: 100 });
    const started = Date.now();
    const taken: number[] = [];
    await Promise.all(Array.from({ length: 4 }, () => quota.take('Op').then(() => taken.push(Date.now()))));
    taken.sort((a, b) => a - b);
    expect(taken[2]! - started).toBeLessThan(1000);
    expect(taken[3]! - taken[0]!).toBeGreaterThanOrEqual(1000);
  });

  it('gives back a slot whose answer came back too late to use, and takes a fresh one', async () => {
    const keyPrefix = uniqueQueuePrefix('quota');
    const stale: string[] = [];
    const quota = createCallQuota({
      redis,
      keyPrefix,
      limits: { Op: 5 },
      guardMs: 100,
      onStaleSlot: (operation) => stale.push(operation),
    });
    await redis.ping(); // connected: the command below is written at once
    const taking = quota.take('Op');
    busy(120); // the answer is read only after this: older than guardMs / 2
    await taking;
    expect(stale).toEqual(['Op']);
    // One slot is held (the fresh one), not two.
    expect(await redis.zcard(`${keyPrefix}:quota-window:Op`)).toBe(1);
    await quota.take('Op');
    expect(stale).toEqual(['Op']);
  });

  it("a slot re-stamped at a call's answer holds the window from then on, not from when it was taken", async () => {
    const keyPrefix = uniqueQueuePrefix('quota');
    const quota = createCallQuota({ redis, keyPrefix, limits: { Op: 1 }, guardMs: 100 });
    const first = await quota.take('Op');
    const [takenAt] = await redis.zrange(`${keyPrefix}:quota-window:Op`, 0, 0, 'WITHSCORES');
    // The call waited for a new connection: answered 400 ms later, it may have arrived until then.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await first.restamp();
    const [, restampedAt] = await redis.zrange(`${keyPrefix}:quota-window:Op`, 0, 0, 'WITHSCORES');
    expect(Number(restampedAt) - Number(takenAt)).toBeGreaterThanOrEqual(390);
    expect(await redis.zcard(`${keyPrefix}:quota-window:Op`)).toBe(1);
    const before = Date.now();
    await quota.take('Op');
    // The next slot comes 1100 ms after the re-stamp (~1,100 - ~0 ms from here), not after the take
    // (which would have left only ~700 ms to wait).
    expect(Date.now() - before).toBeGreaterThanOrEqual(1000);
  });

  it('a limit of 0 turns the operation off', async () => {
    const keyPrefix = uniqueQueuePrefix('quota');
    const quota = createCallQuota({ redis, keyPrefix, limits: { Op: 0 }, guardMs: 100 });
    await quota.take('Op');
    expect(await redis.exists(`${keyPrefix}:quota-window:Op`)).toBe(0);
  });
});
