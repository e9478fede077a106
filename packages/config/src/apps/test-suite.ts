import { z } from 'zod';
import { url } from '../fields.js';

/** Read by the test helpers only: where the tests create their own databases and Redis keys. */
export const testSuiteSchema = z.object({
  TEST_DATABASE_URL: url(['postgres', 'postgresql'])
    .default('postgresql://postgres@127.0.0.1:5432/postgres')
    .describe('Tests: a PostgreSQL server where they may create and drop databases'),
  TEST_REDIS_URL: url(['redis', 'rediss'])
    .default('redis://127.0.0.1:6379')
    .describe('Tests: the Redis server they use, each test with its own key prefix'),
});
