import { provisionJobId } from '@claimline/jobs';
import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

/**
 * A job that runs twice at once (BullMQ hands a job to a second worker when the first one's lock
 * lapsed, e.g. across a Redis restart) must still give one flow per device. Here each device gets a
 * second job under another id, worked by another process at the same moment.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

it('runs one claim flow per device when two jobs for it run at the same time', async () => {
  const workers = [h.spawnWorker(), h.spawnWorker()];
  await waitFor(
    async () => workers.every((w) => w.output.join('').includes('worker started')),
    60_000,
    'workers',
  );
  const { batchId, serials } = await seedBatch(h, { count: 20, serialPrefix: 'DUP' });
  const devices = await h.prisma.device.findMany({ where: { batchId }, select: { id: true, serial: true } });
  await h.queue.addBulk(
    devices.map((d) => ({
      name: 'provision-device',
      data: { deviceId: d.id, serial: d.serial },
      opts: { jobId: `${provisionJobId(d.serial)}-duplicate`, attempts: 10, backoff: { type: 'jittered' } },
    })),
  );
  await waitForSettled(h, [batchId], 60_000);
  await waitFor(
    async () => (await h.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).delayed === 0,
    30_000,
    'delayed duplicates to drain',
  );

  const rows = await h.prisma.device.findMany({ where: { batchId }, include: { certificates: true } });
  expect(rows.map((d) => d.state)).toEqual(serials.map(() => 'REGISTERED'));
  for (const d of rows) expect(d.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
  // AWS (the emulator) issued exactly one certificate per device: no flow ran twice.
  const issued = h.emulator.registry.certificates().filter((c) => c.thingName?.startsWith('unit-DUP'));
  expect(issued).toHaveLength(20);
  expect(h.emulator.registry.certificates()).toHaveLength(20);
  await Promise.all(workers.map((w) => w.stop()));
});
