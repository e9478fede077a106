import { randomBytes } from 'node:crypto';

/** A queue prefix no other test uses, so tests that leave workers running never meet. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `cltest-${label}-${randomBytes(4).toString('hex')}`;
}

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}
