import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, vaultSchema, type Env } from '@claimline/config';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createVault } from '@claimline/vault';
import { startFakeKms, type FakeKms } from '@claimline/vault/testing';
import { expectAllOpen, runCli, seedCertificates, spawnCli } from './fixtures.js';
import { waitFor } from '@claimline/test-kit';

/**
 * `claimline-vault rotate` as its own process, killed (SIGKILL) half-way and run again: every secret
 * ends under the active KEK and still opens. The kill lands at a known point, found from positive
 * signals: with local keys, the CLI's progress line and its batch waiting on a row lock the test holds;
 * with KMS, the progress line and a KMS request the fake holds unanswered.
 */

// Each test spawns the CLI several times (tsx loads the sources: seconds each on a busy machine).
jest.setTimeout(180_000);

const vaultFor = (env: Env) => createVault(loadConfig('vault', vaultSchema, env));

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

async function lockWaiters(databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
    [name],
  );
  return row?.n ?? 0;
}

/** Polls `check` every 25 ms until it holds (test-kit's waitFor, in this file's argument order). */
const until = (check: () => Promise<boolean>, what: string, timeoutMs = 20_000) =>
  waitFor(what, check, { timeoutMs, intervalMs: 25 }).then(() => undefined);

it('local key file: killed while a batch waits on a locked row, re-run finishes; status and retire follow', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vault-rotate-'));
  const keyFile = path.join(dir, 'vault-keys.json');
  const k1 = randomBytes(32).toString('base64');
  writeFileSync(keyFile, JSON.stringify({ active: 'k1', keys: { k1 } }), { mode: 0o600 });
  const secrets = await seedCertificates(db.prisma, vaultFor({ VAULT_LOCAL_KEYS_FILE: keyFile }), 8);
  const env = { DATABASE_URL: db.url, VAULT_LOCAL_KEYS_FILE: keyFile };

  const added = await runCli(['new-local-key'], env);
  expect(added.code).toBe(0);
  const active = (JSON.parse(readFileSync(keyFile, 'utf8')) as { active: string }).active;
  expect(added.stdout).toContain(`local:${active} is now active`);

  // Private keys go first, by row id, 3 per batch: the 5th row is in the second batch.
  const ids = (await db.query<{ id: string }>('SELECT id FROM certificate ORDER BY id')).map((r) => r.id);
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('SELECT 1 FROM certificate WHERE id = $1 FOR UPDATE', [ids[4]]);

  const cli = spawnCli(['rotate', '--batch-size', '3'], env);
  const line = await cli.waitForLine(/^rotate: [1-9]\d*\/16 /);
  expect(line).toMatch(/^rotate: 3\/16 re-wrapped 3 failed 0$/);
  await until(async () => (await lockWaiters(db.url)) > 0, 'the second batch to wait on the locked row');
  cli.child.kill('SIGKILL');
  expect(await cli.exited).toMatchObject({ signal: 'SIGKILL' });
  await locker.query('ROLLBACK');
  await locker.end();

  const both = vaultFor({ VAULT_LOCAL_KEYS_FILE: keyFile });
  const half = await expectAllOpen(db.prisma, both, secrets);
  expect(half.filter((kek) => kek === `local:${active}`)).toHaveLength(3);
  expect(half.filter((kek) => kek === 'local:k1')).toHaveLength(13);

  const refused = await runCli(['retire', 'k1'], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('refused to retire local:k1 (IN_USE): 13 stored secret(s)');

  const rerun = await runCli(['rotate', '--batch-size', '3'], env);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toMatch(/^rotate: 13\/13 re-wrapped 13 failed 0$/m);
  expect(rerun.stdout).toContain('re-wrapped 13 from local:k1');
  expect(rerun.stdout).toContain('re-wrapped 13 of 13, changed meanwhile 0, failed 0');

  const status = await runCli(['status'], env);
  expect(status.code).toBe(0);
  expect(status.stdout.trim().split('\n').slice(1)).toEqual([`*\tlocal:${active}\t8\t8\t0\t16`]);

  const retired = await runCli(['retire', 'k1'], env);
  expect(retired).toMatchObject({ code: 0 });
  expect(retired.stdout).toContain(`no secret uses local:k1; removed it from ${keyFile}`);
  const onlyNew = vaultFor({ VAULT_LOCAL_KEYS_FILE: keyFile });
  expect(new Set(await expectAllOpen(db.prisma, onlyNew, secrets))).toEqual(new Set([`local:${active}`]));
});

describe('aws-kms (the real SDK against the fake KMS)', () => {
  let kms: FakeKms;
  beforeAll(async () => {
    kms = await startFakeKms();
  });
  afterAll(() => kms.close());

  it('killed while a KMS call hangs mid-batch, re-run finishes; retiring the old key is refused, then allowed', async () => {
    const sdk = { credentials: { accessKeyId: 'AKIAFAKEVAULTTEST', secretAccessKey: 'fake-secret' } };
    const kmsEnv = (keyId: string) => ({
      VAULT_PROVIDER: 'aws-kms',
      VAULT_KMS_KEY_ID: keyId,
      VAULT_KMS_ENDPOINT: kms.endpoint,
    });
    const [oldArn, newArn] = kms.keyArns;
    const oldVault = createVault(loadConfig('vault', vaultSchema, kmsEnv(oldArn)), { kmsClient: sdk });
    const secrets = await seedCertificates(db.prisma, oldVault, 6);
    const env = {
      DATABASE_URL: db.url,
      ...kmsEnv(newArn),
      AWS_ACCESS_KEY_ID: 'AKIAFAKEVAULTTEST',
      AWS_SECRET_ACCESS_KEY: 'fake-secret',
    };

    // Batch 1: 3 × (Decrypt + Encrypt) answered; batch 2: its first re-wrap answered, then KMS hangs.
    const gate = kms.hold(3 * 2 + 2);
    const cli = spawnCli(['rotate', '--batch-size', '3', '--concurrency', '1'], env);
    await gate.held;
    expect(await cli.waitForLine(/^rotate: [1-9]\d*\/12 /)).toBe('rotate: 3/12 re-wrapped 3 failed 0');
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toMatchObject({ signal: 'SIGKILL' });
    gate.release();

    const newVault = createVault(loadConfig('vault', vaultSchema, kmsEnv(newArn)), { kmsClient: sdk });
    const half = await expectAllOpen(db.prisma, newVault, secrets);
    expect(half.filter((kek) => kek === `aws-kms:${newArn}`)).toHaveLength(3);

    const refused = await runCli(['retire', `aws-kms:${oldArn}`], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(IN_USE): 9 stored secret(s)');

    const rerun = await runCli(['rotate', '--batch-size', '3'], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain(`re-wrapped 9 from aws-kms:${oldArn}`);
    expect(new Set(await expectAllOpen(db.prisma, newVault, secrets))).toEqual(
      new Set([`aws-kms:${newArn}`]),
    );

    const retired = await runCli(['retire', oldArn], env);
    expect(retired.code).toBe(0);
    expect(retired.stdout).toContain(`no secret uses aws-kms:${oldArn}; now disable the key in KMS`);
  });
});
