import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

it('keeps every operation at or under 5 calls per second across 3 worker processes', async () => {
  const limit = '5';
  const workers = [1, 2, 3].map(() =>
    h.spawnWorker({
      WORKER_QUOTA_CREATE_KEYS_PER_SECOND: limit,
      WORKER_QUOTA_REGISTER_THING_PER_SECOND: limit,
      WORKER_RATE_LIMIT_PER_SECOND: limit,
      // The emulator counts a call in the second it *processes* it. On a loaded 2-core runner its event
      // loop can lag by a few hundred ms, so the quota window is 1000 + 400 ms (production: + 150 ms).
      WORKER_QUOTA_GUARD_MS: '400',
    }),
  );
  // Start measuring once the three processes are up: their start-up (compiling the sources) would
  // otherwise starve the emulator's event loop on this 2-core machine and skew its arrival seconds.
  await waitFor(
    async () => workers.every((w) => w.output.join('').includes('worker started')),
    60_000,
    'workers',
  );
  const { batchId } = await seedBatch(h, { count: 40, serialPrefix: 'RL' });
  await waitForSettled(h, [batchId], 60_000);
  const perSecond = h.emulator.registry.counters();
  const busiest = Math.max(
    ...perSecond.flatMap((s) => [s.counts.CreateKeysAndCertificate ?? 0, s.counts.RegisterThing ?? 0]),
  );
  if (busiest > 5) console.log(JSON.stringify(perSecond));
  expect(busiest).toBeLessThanOrEqual(5);
  expect(busiest).toBeGreaterThanOrEqual(3); // the limit is used, not just respected
  expect(await h.prisma.device.count({ where: { batchId, state: 'REGISTERED' } })).toBe(40);
  await Promise.all(workers.map((w) => w.stop()));
});
