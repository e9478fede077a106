import { randomBytes } from 'node:crypto';
import { loadConfig, testSuiteSchema } from '@claimline/config';

/** A queue prefix no other test uses, so tests that leave workers running never meet. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `cltest-${label}-${randomBytes(4).toString('hex')}`;
}

export function testRedisUrl(): string {
  return loadConfig('tests', testSuiteSchema).TEST_REDIS_URL;
}
