import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRedisConnection } from '@claimline/jobs';
import { testRedisUrl } from '@claimline/jobs/testing';

import { initStation } from '../src/index.js';
import { openStation } from '../src/station-context.js';
import { startHarness, TEST_TEMPLATE, waitFor, type WorkerChild } from '../../worker/test/harness.js';
import { dumpDatabase, dumpRedis, keyForms, leaks } from './key-search.js';
import { registerStation, runCli, serveApi, type Served } from './loop-harness.js';

/**
 * Issue 14 end to end: a device-csr batch, the API, a worker process, the emulator, the station CLI as a
 * child process and fake units that make their own keys. Afterwards no byte of any unit's key is
 * anywhere claimline wrote or sent.
 */
const fakeUnit = path.resolve(__dirname, '../../../scripts/fake-unit.mjs');

let loop: Served;
let worker: WorkerChild;
let redis: ReturnType<typeof createRedisConnection>;
let unitsDir: string;
const stationOutput: string[] = [];

beforeAll(async () => {
  const h = await startHarness();
  loop = await serveApi(h, { apiLogLevel: 'debug' });
  worker = h.spawnWorker({ LOG_LEVEL: 'debug' });
  redis = createRedisConnection(testRedisUrl(), 'producer');
  unitsDir = path.join(loop.root, 'units');
  fs.mkdirSync(unitsDir);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  await loop?.close();
});

/** A device-csr batch as the API writes it: units AWAITING_CSR, no job. */
async function seedDeviceCsrBatch(prefix: string, count: number): Promise<string[]> {
  const batch = await loop.h.prisma.batch.create({
    data: {
      externalRef: `WO-${prefix}`,
      templateName: TEST_TEMPLATE,
      templateParameters: { Line: 'L7' },
      mode: 'DEVICE_CSR',
    },
  });
  const serials = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  await loop.h.prisma.device.createMany({
    data: serials.map((serial) => ({ serial, batchId: batch.id, state: 'AWAITING_CSR' as const })),
  });
  return serials;
}

async function setUpStation(name: string): Promise<string> {
  const dir = path.join(loop.root, name);
  const key = await registerStation(loop as never, name);
  await initStation({ dir, server: loop.url, serverCa: loop.caFile, key, httpTimeoutMs: 5000 });
  return dir;
}

const keyInUnitArgs = [
  '--csr-command',
  `node ${fakeUnit} csr ${'{unitsDir}'} {serial}`,
  '--write-cert-command',
  `node ${fakeUnit} write ${'{unitsDir}'} {serial} {cert} {ca} {endpoint} {thingName}`,
];
const withUnits = (args: string[]) => args.map((a) => a.replace('{unitsDir}', unitsDir));

describe('device-csr: keys born in the unit', () => {
  it('serves each unit its certificate for its own key; a CSR AWS refuses ends FAILED with its code', async () => {
    const [u0, u1, u2, refused] = (await seedDeviceCsrBatch('DK-', 4)) as [string, string, string, string];
    const dir = await setUpStation('line-csr');
    const result = await runCli(
      [
        'run',
        '--dir',
        dir,
        ...withUnits(keyInUnitArgs),
        '--thing-name',
        'unit-{serial}',
        '--device-issuer-ca',
        loop.h.emulator.files.deviceIssuerCaPath,
      ],
      { stdin: [u0, u1, refused, u2].join('\n') + '\n', env: { FAKE_UNIT_SHA1: refused } },
    );
    stationOutput.push(result.stdout, result.stderr);
    const lines = result.stdout.split('\n');
    for (const serial of [u0, u1, u2]) {
      const line = lines.find((l) => l.includes(serial)) ?? '';
      expect(line).toMatch(new RegExp(`^OK +${serial} +certificate written +thing unit-${serial}`));
      expect(line).toMatch(/csr \d+ ms, send \d+ ms, signing \d+ ms, write \d+ ms/);
      // The unit proves the certificate it holds is for the key it never let out.
      expect(execFileSync('node', [fakeUnit, 'prove', unitsDir, serial], { encoding: 'utf8' })).toContain(
        'certificate matches its key',
      );
    }
    expect(lines.find((l) => l.includes(refused))).toMatch(
      new RegExp(`^ERROR ${refused} +UNIT_FAILED: unit ${refused} FAILED: InvalidCsr`),
    );
    expect(result.code).toBe(1);

    const devices = await loop.h.prisma.device.findMany({
      where: { serial: { startsWith: 'DK-' } },
      include: { certificates: true },
      orderBy: { serial: 'asc' },
    });
    expect(devices.map((d) => [d.serial, d.state, d.lastErrorCode])).toEqual([
      [u0, 'BURNED', null],
      [u1, 'BURNED', null],
      [u2, 'BURNED', null],
      [refused, 'FAILED', 'InvalidCsr'],
    ]);
    for (const d of devices.slice(0, 3)) {
      expect(d.certificates).toHaveLength(1);
      expect(d.certificates[0]).toMatchObject({ status: 'ACTIVE', privateKeyCiphertext: null });
    }
    const audit = await loop.h.prisma.auditEvent.count({ where: { action: 'device.csr-received' } });
    expect(audit).toBe(4);
  }, 120_000);

  it('refuses offline mode for units that make their own keys, and says why', async () => {
    const dir = path.join(loop.root, 'line-csr');
    const result = await runCli(['run', '--dir', dir, '--offline', ...withUnits(keyInUnitArgs)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('OFFLINE_REFUSED');
    expect(result.stderr).toContain('the unit must be at the station while AWS signs its CSR');
  });

  it('tells a station without --csr-command what such a unit needs', async () => {
    const [unit] = await seedDeviceCsrBatch('DKB-', 1);
    const dir = path.join(loop.root, 'line-csr');
    const result = await runCli(['run', '--dir', dir, '--burn', 'true'], { stdin: `${unit}\n` });
    expect(result.stdout).toContain(`ERROR ${unit}  AWAITING_CSR`);
    expect(result.stdout).toContain('--csr-command');
  });

  it('serves a unit whose CSR was sent before a station restart, and reports a failed write', async () => {
    const [resumed, unwritable] = (await seedDeviceCsrBatch('DKR-', 2)) as [string, string];
    const dir = path.join(loop.root, 'line-csr');
    // A station sent the CSR and stopped before the certificate came: the unit is signed meanwhile.
    const csr = execFileSync('node', [fakeUnit, 'csr', unitsDir, resumed], { encoding: 'utf8' });
    expect((await openStation({ dir, httpTimeoutMs: 5000 }).client.submitCsr(resumed, csr)).state).toBe(
      'QUEUED',
    );
    await waitFor(
      async () =>
        (await loop.h.prisma.device.findUnique({ where: { serial: resumed } }))?.state === 'REGISTERED',
      30_000,
      'the unit registered',
    );
    const result = await runCli(['run', '--dir', dir, ...withUnits(keyInUnitArgs)], {
      stdin: `${resumed}\n${unwritable}\n`,
      env: { FAKE_UNIT_WRITE_FAIL: unwritable },
    });
    stationOutput.push(result.stdout, result.stderr);
    expect(result.stdout).toMatch(new RegExp(`OK +${resumed} +certificate written`));
    expect(result.stdout).toMatch(new RegExp(`FAIL +${unwritable} +write-cert command failed: exit code 3`));
    expect(execFileSync('node', [fakeUnit, 'prove', unitsDir, resumed], { encoding: 'utf8' })).toContain(
      'certificate matches its key',
    );
    const states = await loop.h.prisma.device.findMany({
      where: { serial: { in: [resumed, unwritable] } },
      orderBy: { serial: 'asc' },
    });
    expect(states.map((d) => [d.serial, d.state])).toEqual([
      [resumed, 'BURNED'],
      [unwritable, 'BURN_FAILED'],
    ]);
  }, 60_000);

  it('leaves no byte of any unit key in the database, Redis, the logs or the request bodies', async () => {
    await worker.stop();
    const keys = fs
      .readdirSync(unitsDir)
      .filter((serial) => fs.existsSync(path.join(unitsDir, serial, 'key.pem')))
      .map((serial) => ({ serial, pem: fs.readFileSync(path.join(unitsDir, serial, 'key.pem'), 'utf8') }));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    const places = {
      database: await dumpDatabase(loop.h.prisma),
      redis: await dumpRedis(redis, loop.h.prefix),
      'api log': Buffer.from(loop.apiLog.join('')),
      'worker log': Buffer.from(worker.output.join('')),
      'station output': Buffer.from(stationOutput.join('')),
      'request bodies': Buffer.concat(loop.requestBodies),
    };
    // The dumps hold what they should: the CSRs and certificates are there, so the search is real.
    expect(places.database.toString()).toContain('BEGIN CERTIFICATE REQUEST');
    expect(places['request bodies'].toString()).toContain('BEGIN CERTIFICATE REQUEST');
    expect(places.redis.length).toBeGreaterThan(0);
    expect(places['api log'].length).toBeGreaterThan(0);
    // And the search finds a key where there is one, in each form it looks for.
    const sample = keyForms(keys[0]!.pem);
    for (const form of sample)
      expect(leaks(Buffer.concat([Buffer.from('x'), form.bytes, Buffer.from('y')]), sample)).toContain(
        form.name,
      );
    const found: string[] = [];
    for (const { serial, pem } of keys) {
      const forms = keyForms(pem);
      for (const [place, bytes] of Object.entries(places))
        for (const form of leaks(bytes, forms)) found.push(`${serial}: ${form} in ${place}`);
    }
    expect(found).toEqual([]);
  });
});
