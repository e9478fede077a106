import { ConnectionWaitTimeout } from '@claimline/db';
import { fromDatabase } from '../src/errors/problem.js';

/**
 * A database connection lost mid-request (Postgres restarted, a backend terminated, a socket reset) is
 * an outage to retry, not a bug: 503 DATABASE_BUSY with Retry-After, never a 500. The shapes are the
 * ones pg and Prisma throw (the chaos suite terminates backends for real).
 */
describe('lost database connections', () => {
  it.each([
    [
      'pg: backend terminated',
      { name: 'error', code: '57P01', message: 'terminating connection due to administrator command' },
    ],
    ['pg: connection exception', { name: 'error', code: '08006', message: 'connection failure' }],
    ['socket reset', { name: 'Error', code: 'ECONNRESET', message: 'read ECONNRESET' }],
    ['pool: terminated', { name: 'Error', message: 'Connection terminated unexpectedly' }],
    [
      'Prisma: server closed the connection',
      { name: 'PrismaClientKnownRequestError', code: 'P1017', message: 'Server has closed the connection.' },
    ],
    ['raw transaction: no connection within its wait', new ConnectionWaitTimeout(10_000)],
    [
      'Prisma: pool time-out',
      {
        name: 'PrismaClientKnownRequestError',
        code: 'P2024',
        message: 'Timed out fetching a new connection',
      },
    ],
  ])('%s → 503 DATABASE_BUSY', (_what, error) => {
    expect(fromDatabase(error)?.code).toBe('DATABASE_BUSY');
  });

  it.each([
    ['a constraint violation', { name: 'error', code: '23505', message: 'duplicate key value' }],
    ['a Prisma not-found', { name: 'PrismaClientKnownRequestError', code: 'P2025', message: 'not found' }],
    ['a plain error', new Error('boom')],
  ])('%s is not an outage', (_what, error) => {
    expect(fromDatabase(error)).toBeUndefined();
  });
});
