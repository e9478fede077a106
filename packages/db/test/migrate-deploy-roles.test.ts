import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { dropDatabase, withDatabaseName } from '@claimline/db';
import { testServerUrl } from '@claimline/db/testing';
import pg from 'pg';

/**
 * `claimline-migrate deploy` as an operator runs it (the compose `migrate` service, the Kubernetes Job,
 * scripts/setup.sh): migrations as MIGRATION_DATABASE_URL's owner, then DATABASE_URL's role made a login
 * member of claimline_app, which may then use the rows and nothing more.
 */

const suffix = randomBytes(4).toString('hex');
const ownerUrl = withDatabaseName(testServerUrl(), `claimline_test_deploy_${suffix}`);
const role = `claimline_test_runtime_${suffix}`;
const appUrl = (() => {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = 'runtime-secret';
  return url.toString();
})();

const repoRoot = path.resolve(__dirname, '../../..');

/** The CLI from its sources, with only PATH, HOME and `env` as its environment. */
function deploy(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const tsx = require.resolve('tsx/cjs', { paths: [repoRoot] });
  const child = spawn(
    process.execPath,
    ['--require', tsx, '--conditions=claimline-source', 'packages/db/src/migrate-cli.ts', 'deploy'],
    { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

afterAll(async () => {
  await dropDatabase(ownerUrl);
  const admin = new pg.Client({ connectionString: testServerUrl() });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

it('creates the database, applies the migrations, creates the application role; a second run changes nothing', async () => {
  const first = await deploy({ MIGRATION_DATABASE_URL: ownerUrl, DATABASE_URL: appUrl });
  expect(first).toMatchObject({ code: 0 });
  expect(first.output).toMatch(/created the database/);
  expect(first.output).toContain(`application role ${role}: created, member of claimline_app`);
  expect(first.output).not.toContain('runtime-secret');

  const app = new pg.Client({ connectionString: appUrl });
  await app.connect();
  try {
    const { rows } = await app.query(
      `SELECT current_user AS me, has_table_privilege('device', 'INSERT') AS device,
              has_table_privilege('audit_event', 'DELETE') AS audit_delete`,
    );
    expect(rows[0]).toEqual({ me: role, device: true, audit_delete: false });
  } finally {
    await app.end();
  }

  const second = await deploy({ MIGRATION_DATABASE_URL: ownerUrl, DATABASE_URL: appUrl });
  expect(second).toMatchObject({ code: 0 });
  expect(second.output).toMatch(/no pending migrations/);
  expect(second.output).toContain(`application role ${role}: member of claimline_app`);
}, 120_000);

it('refuses DATABASE_URL without MIGRATION_DATABASE_URL (a migration job of before the two roles)', async () => {
  const result = await deploy({ DATABASE_URL: appUrl });
  expect(result.code).toBe(1);
  expect(result.output).toMatch(/MIGRATION_DATABASE_URL.*is not set while DATABASE_URL is/);
  expect(result.output).not.toContain('runtime-secret');
});
