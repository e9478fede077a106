import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, testSuiteSchema } from '@claimline/config';
import pg from 'pg';
import { createDatabase, dropDatabase, withAdminClient, withDatabaseName } from './admin-database.js';
import { ensureAppLoginRole } from './app-role.js';
import { createPrismaClient } from './client.js';
import type { PrismaClient } from './generated/client.js';
import { migrationsDir } from './migrations/migration-files.js';
import { deployMigrations } from './migrations/migrator.js';

/**
 * Test databases: migrate one template once, then give every test file its own clone
 * (`CREATE DATABASE … TEMPLATE`, a file copy on the server: milliseconds), dropped afterwards.
 *
 * The template is named after the migrations it holds (`claimline_test_template_<fingerprint>`), so
 * two checkouts with different migrations (a branch, a second work tree) on one server each use
 * their own and never rebuild the other's under its feet.
 */

const TEMPLATE_PREFIX = 'claimline_test_template_';
const READY = 'ready';
/**
 * The login role tests connect as when they run as the application (`appUrl`): a member of
 * claimline_app, as `claimline-migrate deploy` makes DATABASE_URL's role. One per server, like the
 * group role: the privileges are the group's, granted in each database by the migrations. The password
 * matters only on a server that asks for one.
 */
export const TEST_APP_ROLE = 'claimline_test_app';
const TEST_APP_PASSWORD = 'claimline_test_app';

/** `databaseUrl` with the test application role as its user. */
export function asTestAppRole(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = TEST_APP_ROLE;
  url.password = TEST_APP_PASSWORD;
  return url.toString();
}

export function testServerUrl(): string {
  return loadConfig('tests', testSuiteSchema).TEST_DATABASE_URL;
}

function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  const dir = migrationsDir();
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'migration.sql');
    if (fs.existsSync(file)) hash.update(name).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The template database of this checkout's migrations. */
export function templateDatabaseName(): string {
  return `${TEMPLATE_PREFIX}${migrationsFingerprint()}`;
}

/** Creates the migrated template unless it is there and complete; cheap when it is. */
export async function prepareTemplateDatabase(serverUrl = testServerUrl()): Promise<string> {
  const name = templateDatabaseName();
  const templateUrl = withDatabaseName(serverUrl, name);
  await withAdminClient(serverUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock(872341)');
    try {
      const { rows } = await admin.query<{ comment: string | null }>(
        `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
        [name],
      );
      // Marked ready only after its migrations: one left half-built by a crash is built again.
      if (rows[0]?.comment !== READY) {
        await dropDatabase(templateUrl);
        await createDatabase(templateUrl);
        await deployMigrations(templateUrl);
        await admin.query(`COMMENT ON DATABASE ${name} IS '${READY}'`);
      }
      await ensureAppLoginRole(serverUrl, asTestAppRole(serverUrl));
    } finally {
      await admin.query('SELECT pg_advisory_unlock(872341)');
    }
  });
  return templateUrl;
}

export type TestDatabase = {
  /** As the server's administrator (TEST_DATABASE_URL's user): the owner of everything in it. */
  url: string;
  /** As the application role (TEST_APP_ROLE, a member of claimline_app): what the API and workers get. */
  appUrl: string;
  prisma: PrismaClient;
  /** A raw connection for assertions the client cannot express (catalog queries, raw rows). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
};

export async function createTestDatabase(serverUrl = testServerUrl()): Promise<TestDatabase> {
  const url = withDatabaseName(serverUrl, `claimline_test_${randomBytes(6).toString('hex')}`);
  await createDatabase(url, templateDatabaseName());
  const prisma = createPrismaClient(url, { maxConnections: 4 });
  const raw = new pg.Pool({ connectionString: url, max: 2 });
  // pg's end() resolves before its sockets close, so DROP … WITH (FORCE) can still reach an idle
  // client; unheard, that error would crash the test file. A query after it reconnects or fails loudly.
  raw.on('error', () => undefined);
  return {
    url,
    appUrl: asTestAppRole(url),
    prisma,
    async query(sql, params) {
      return (await raw.query(sql, params as unknown[])).rows;
    },
    async drop() {
      await prisma.$disconnect();
      await raw.end();
      await dropDatabase(url);
    },
  };
}
