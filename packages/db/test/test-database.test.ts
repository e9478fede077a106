import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, withDatabaseName } from '@claimline/db';
import { createTestDatabase, testServerUrl } from '@claimline/db/testing';
import { databaseNameOf } from '../src/admin-database';
import { deployMigrations } from '../src/migrations/migrator';

/**
 * The test helper's own connections must survive the server closing them: a database dropped
 * WITH (FORCE) while a pool still holds an idle client (a late `end()`) once crashed a test file
 * with an unhandled pg "terminating connection due to administrator command".
 */

it('survives its database being dropped while both pools hold idle connections', async () => {
  const db = await createTestDatabase();
  await db.query('SELECT 1');
  await db.prisma.$queryRaw`SELECT 1`;
  await dropDatabase(db.url);
  // Give the terminated sockets time to report; an unhandled 'error' fails this test.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await db.drop();
});

it('lets a database be used as a template the moment its migrations are deployed', async () => {
  const url = withDatabaseName(testServerUrl(), `claimline_test_fresh_${randomBytes(4).toString('hex')}`);
  const copy = withDatabaseName(testServerUrl(), `claimline_test_copy_${randomBytes(4).toString('hex')}`);
  await createDatabase(url);
  try {
    await deployMigrations(url);
    // Fails with "source database … is being accessed by other users" if the migrator leaves its pool open.
    await createDatabase(copy, databaseNameOf(url));
  } finally {
    await dropDatabase(copy);
    await dropDatabase(url);
  }
});
