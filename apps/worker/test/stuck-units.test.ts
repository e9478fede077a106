import { provisionJobId } from '@claimline/jobs';
import { createRedisConnection } from '@claimline/jobs';
import { testRedisUrl } from '@claimline/jobs/testing';
import {
  provisioningJobOf,
  startStuckUnitSweeper,
  sweepStuckUnits,
  type SweepDeps,
} from '@claimline/stuck-units';
import { createLogger } from '@claimline/logger';
import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

/**
 * Units made stuck for real (a worker killed mid-flight with nobody to take its job over, a job removed
 * from the queue) are found by the sweeper and finish with the certificate they already had.
 */
jest.setTimeout(300_000);

let h: Harness;
let deps: SweepDeps;
const LEASE_MS = 6_000; // the harness's WORKER_DEVICE_LEASE_MS

beforeAll(async () => {
  h = await startHarness();
  deps = {
    prisma: h.prisma,
    queue: h.queue,
    who: { actor: 'test:sweeper', origin: null },
    leaseMs: LEASE_MS,
  };
});

afterAll(async () => {
  await h?.close();
});

const created = (operation: 'CreateKeysAndCertificate' | 'RegisterThing') =>
  h.emulator.registry.counters().reduce((sum, second) => sum + (second.counts[operation] ?? 0), 0);

/**
 * The killed worker's job, once its lock lapsed: left active, or (when the loaded worker's own stalled
 * check moved it back before the kill) waiting, which a live worker would run: that one is removed, as a
 * job lost with Redis would be, so the unit is stuck for real either way.
 */
async function loseJobOf(serial: string): Promise<void> {
  const jobId = provisionJobId(serial, 0);
  await waitFor(
    async () =>
      (await h.queue.getJobState(jobId)) !== 'active' ||
      (await provisioningJobOf(h.queue, { serial, generation: 0 })).live === false,
    90_000,
    `the job of ${serial} to lose its lock`,
  );
  if ((await h.queue.getJobState(jobId)) !== 'active') await h.queue.remove(jobId);
}

/** Sweeps until the unit is requeued (its lease and the dead worker's job lock must lapse first). */
async function sweepUntilRequeued(serial: string) {
  return waitFor(
    async () => (await sweepStuckUnits(deps)).requeued.find((unit) => unit.serial === serial),
    90_000,
    `${serial} to be requeued`,
  );
}

it('requeues a unit whose worker was killed after saving its certificate; it registers that certificate', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'STUCKA' });
  const serial = serials[0]!;
  const crashing = h.spawnWorker({
    WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: 'true',
    CLAIM_POOL_SIZE: '1',
    WORKER_SWEEP_INTERVAL_MS: '0',
  });
  await crashing.exited;
  const saved = await h.prisma.certificate.findMany({ where: { device: { serial } } });
  expect(saved.map((c) => c.status)).toEqual(['ISSUED']);
  // Its lease is live (and its dead worker's job lock too): the sweep leaves it alone.
  const early = await sweepStuckUnits(deps);
  expect(early.requeued).toEqual([]);

  await loseJobOf(serial);
  const requeued = await sweepUntilRequeued(serial);
  expect(requeued).toMatchObject({ state: 'CERT_ISSUED', generation: 1 });
  expect(['active-unlocked', 'unknown']).toContain(requeued.previousJobState);
  expect(await h.queue.getJobState(provisionJobId(serial, 1))).toMatch(/waiting|prioritized/);
  const audit = await h.prisma.auditEvent.findMany({
    where: { action: 'device.requeued', device: { serial } },
  });
  expect(audit).toHaveLength(1);
  expect(audit[0]?.details).toMatchObject({ reason: 'sweeper', state: 'CERT_ISSUED', generation: 1 });

  const survivor = h.spawnWorker({ CLAIM_POOL_SIZE: '1' });
  await waitForSettled(h, [batchId], 120_000);
  const device = await h.prisma.device.findUniqueOrThrow({
    where: { serial },
    include: { certificates: true },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates.map((c) => [c.certificateId, c.status])).toEqual([
    [saved[0]?.certificateId, 'ACTIVE'],
  ]);
  expect(created('CreateKeysAndCertificate')).toBe(1);
  await survivor.stop();
});

it('a unit killed inside RegisterThing is requeued REGISTERING and resolved, never given a second certificate', async () => {
  const before = created('CreateKeysAndCertificate');
  h.emulator.setFaults({ operations: { RegisterThing: { delayMs: 8_000 } } });
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'STUCKR' });
  const serial = serials[0]!;
  const worker = h.spawnWorker({
    CLAIM_POOL_SIZE: '1',
    CLAIM_OPERATION_TIMEOUT_MS: '20000',
    WORKER_SWEEP_INTERVAL_MS: '0',
  });
  await waitFor(
    async () =>
      (await h.prisma.certificate.count({ where: { device: { serial }, status: 'REGISTERING' } })) === 1,
    90_000,
    'RegisterThing to be in flight',
  );
  await worker.stop('SIGKILL');
  h.emulator.setFaults({});
  await loseJobOf(serial);

  const requeued = await sweepUntilRequeued(serial);
  expect(requeued.state).toBe('CERT_ISSUED');
  const survivor = h.spawnWorker({ CLAIM_POOL_SIZE: '1' });
  await waitForSettled(h, [batchId], 120_000);
  const device = await h.prisma.device.findUniqueOrThrow({
    where: { serial },
    include: { certificates: true },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
  expect(created('CreateKeysAndCertificate') - before).toBe(1);
  const thing = h.emulator.registry.things().find((t) => t.thingName === `unit-${serial}`);
  expect(thing?.certificateIds).toEqual([device.certificates[0]?.certificateId]);
  await survivor.stop();
});

it("the workers' own sweeper requeues a QUEUED unit whose job was removed, once, under its lock", async () => {
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'STUCKQ' });
  const serial = serials[0]!;
  await h.queue.remove(provisionJobId(serial, 0));
  expect(await h.queue.getJobState(provisionJobId(serial, 0))).toBe('unknown');

  // Two sweepers at once (two processes' timers): the lock lets one run.
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  const logger = createLogger({ name: 'sweeper-test', level: 'silent' });
  const sweepers = [0, 1].map(() =>
    startStuckUnitSweeper({ ...deps, leaseMs: 0, redis, keyPrefix: h.prefix, intervalMs: 0, logger }),
  );
  const results = await Promise.all(sweepers.map((s) => s.runOnce()));
  expect(results.filter((r) => r === null)).toHaveLength(1);
  expect(results.find((r) => r !== null)?.requeued.map((u) => u.serial)).toEqual([serial]);
  redis.disconnect();

  const worker = h.spawnWorker({ WORKER_SWEEP_INTERVAL_MS: '500' });
  await waitForSettled(h, [batchId], 120_000);
  expect((await h.prisma.device.findUniqueOrThrow({ where: { serial } })).state).toBe('REGISTERED');
  await worker.stop();
});

it('the worker sweeps by itself: a job removed while its unit waits is requeued and provisioned', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 2, serialPrefix: 'STUCKW' });
  await h.queue.remove(provisionJobId(serials[1]!, 0));
  const worker = h.spawnWorker({ WORKER_SWEEP_INTERVAL_MS: '500' });
  await waitForSettled(h, [batchId], 120_000);
  const devices = await h.prisma.device.findMany({ where: { batchId }, orderBy: { serial: 'asc' } });
  expect(devices.map((d) => [d.serial, d.state, d.provisionGeneration])).toEqual([
    [serials[0], 'REGISTERED', 0],
    [serials[1], 'REGISTERED', 1],
  ]);
  await worker.stop();
});
