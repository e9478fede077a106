import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { Queue } from 'bullmq';
import { createRedisConnection, maintenanceJobId, QUEUES } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import type { ReconcileReport } from '../src/index.js';
import { newCertificateId, startSeededEmulator } from '../src/testing.js';

/**
 * `claimline-reconcile` as an operator runs it: a child process (from the sources, with tsx) reading
 * its environment, a real database and the control plane of a seeded emulator through
 * packages/aws-control-plane. Batch CLEAN holds one healthy unit, batch DIRTY one orphan that is still
 * ACTIVE at AWS.
 */
const repoRoot = path.resolve(__dirname, '../../..');
const tsxLoader = require.resolve('tsx/cjs', { paths: [repoRoot] });
const cli = path.join(repoRoot, 'packages/reconcile/src/cli.ts');

let db: TestDatabase;
let account: Awaited<ReturnType<typeof startSeededEmulator>>;
let env: Record<string, string>;
let dir: string;
const batches: Record<'clean' | 'dirty', string> = { clean: '', dirty: '' };
const okId = newCertificateId();
const orphanId = newCertificateId();

type Run = { code: number | null; stdout: string; stderr: string };

function run(args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--require', tsxLoader, '--conditions=claimline-source', cli, ...args],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (const [key, serial, certificateId, status, thing] of [
    ['clean', 'OK-1', okId, 'ACTIVE', 'unit-OK-1'],
    ['dirty', 'ORPHAN-1', orphanId, 'ORPHANED', null],
  ] as const) {
    const batch = await db.prisma.batch.create({ data: { externalRef: `WO-${key}`, templateName: 't' } });
    batches[key] = batch.id;
    // Test set-up only: rows as the worker would have left them, written directly.
    await db.prisma.device.create({
      data: {
        serial,
        batchId: batch.id,
        state: thing ? 'REGISTERED' : 'FAILED',
        thingName: thing,
        certificates: { create: [{ certificateId, certificatePem: 'pem', status }] },
      },
    });
  }
  account = await startSeededEmulator(
    [{ thingName: 'unit-OK-1', certificateIds: [okId] }],
    [
      { certificateId: okId, status: 'ACTIVE' },
      { certificateId: orphanId, status: 'ACTIVE' },
    ],
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-reconcile-cli-'));
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: uniqueQueuePrefix('reconcile-cli'),
    CONTROL_PLANE: 'emulator',
    CONTROL_PLANE_CLIENT_FILE: account.emulator.files.controlPlanePath,
  };
}, 60_000);

afterAll(async () => {
  await account?.close();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('exits 0 with an empty JSON report on a clean batch, progress on stderr', async () => {
  const result = await run(['--batch', batches.clean]);
  expect(result.stderr).toMatch(/reconcile: 1 units checked, 0 findings/);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout) as ReconcileReport;
  expect(report).toMatchObject({ batchId: batches.clean, units: 1, findings: [] });
  expect(Object.values(report.counts).every((count) => count === 0)).toBe(true);
  expect(report.awsCalls).toMatchObject({ listCertificates: 1, listThingPrincipals: 1 });
}, 60_000);

it('exits 1 and writes the one finding as CSV to --out', async () => {
  const out = path.join(dir, 'dirty.csv');
  const result = await run(['--batch', batches.dirty, '--format', 'csv', '--out', out]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/1 findings \(ORPHAN_ACTIVE_AT_AWS=1\)/);
  expect(fs.readFileSync(out, 'utf8').trimEnd().split('\r\n')).toEqual([
    'kind,serial,thingName,certificateId,databaseStatus,awsStatus',
    `ORPHAN_ACTIVE_AT_AWS,ORPHAN-1,,${orphanId},ORPHANED,ACTIVE`,
  ]);
}, 60_000);

it('--fix enqueues the clean-up of the orphan on the maintenance queue and reports it', async () => {
  const result = await run(['--batch', batches.dirty, '--fix']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/reconcile --fix: 1 maintenance jobs enqueued for 1 fixable findings/);
  const report = JSON.parse(result.stdout) as ReconcileReport & {
    fixes: { fixable: number; enqueued: number };
  };
  expect(report.fixes).toMatchObject({ fixable: 1, enqueued: 1 });
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  const queue = new Queue(QUEUES.maintenance, { connection, prefix: env.QUEUE_PREFIX! });
  try {
    const row = await db.prisma.certificate.findUniqueOrThrow({ where: { certificateId: orphanId } });
    const job = await queue.getJob(maintenanceJobId('clean-orphan-certificate', row.id));
    expect(job?.data).toEqual({ certificateRowId: row.id });
    // Without --fix (the runs above) nothing else was enqueued.
    expect(await queue.count()).toBe(1);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}, 60_000);

it('exits 2 on bad options and without a control plane', async () => {
  const bad = await run(['--format', 'xml']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--format must be json or csv/);
  const saved = env;
  env = { ...saved, CONTROL_PLANE: 'off' };
  try {
    const off = await run([]);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/no control plane \(CONTROL_PLANE=off\)/);
    expect(off.stdout).toBe('');
  } finally {
    env = saved;
  }
}, 60_000);
