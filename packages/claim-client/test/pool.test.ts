import { ClaimConnectionError, ClaimTimeoutError, type ClaimConnectionPool } from '../src/index.js';
import { TEMPLATE_NAME, expectRejection, poolFor, startTestEmulator, type TestEmulator } from './helpers.js';

const K = 4;
let emulator: TestEmulator;
let pool: ClaimConnectionPool;

beforeAll(async () => {
  // Quotas off except AWS's 1 CONNECT/s per client id, which the reconnect path must respect.
  emulator = await startTestEmulator({
    quotas: {
      registerThingPerSecond: 0,
      createKeysAndCertificatePerSecond: 0,
      createCertificateFromCsrPerSecond: 0,
      connectPerSecond: 0,
      publishPerConnectionPerSecond: 0,
      connectPerClientIdPerSecond: 1,
    },
  });
  pool = poolFor(emulator, { size: K, hostname: 'line.host-1' });
  await pool.ready();
});

afterAll(async () => {
  await pool?.close();
  await emulator?.cleanup();
});

it('gives each connection its own client id: <prefix>-<hostname>-<pid>-<n>', () => {
  expect(new Set(pool.clientIds).size).toBe(K);
  for (const [index, clientId] of pool.clientIds.entries()) {
    expect(clientId).toMatch(new RegExp(`^test\\d+-line-host-1-${process.pid}-${index + 1}$`));
  }
  expect(pool.counts()).toEqual({ size: K, up: K, busy: 0, waiting: 0 });
});

it('runs 3×K concurrent flows, one per connection at a time, without crossing answers', async () => {
  const serials = Array.from({ length: 3 * K }, (_, index) => `POOL-${index}`);
  let maxBusy = 0;
  const results = await Promise.all(
    serials.map((serial, index) =>
      pool.withLease(async (lease) => {
        maxBusy = Math.max(maxBusy, pool.counts().busy);
        const format = index % 2 === 0 ? 'json' : 'cbor';
        const created = await lease.createKeysAndCertificate({ format });
        const registered = await lease.registerThing(
          TEMPLATE_NAME,
          created.certificateOwnershipToken,
          { SerialNumber: serial },
          { format },
        );
        return { serial, created, registered };
      }),
    ),
  );
  expect(maxBusy).toBe(K);
  for (const { serial, created, registered } of results) {
    expect(registered).toEqual({ thingName: serial, deviceConfiguration: { serial } });
    const thing = emulator.registry.things().find((candidate) => candidate.thingName === serial);
    expect(thing?.certificateIds).toEqual([created.certificateId]);
  }
  expect(new Set(results.map((result) => result.created.certificateId)).size).toBe(3 * K);
  expect(pool.counts()).toMatchObject({ busy: 0, waiting: 0 });
});

it('acquire waits FIFO and gives up after its time-out or on abort', async () => {
  const leases = await Promise.all(Array.from({ length: K }, () => pool.acquire()));
  const timedOut = expectRejection(pool.acquire({ timeoutMs: 50 }));
  const controller = new AbortController();
  const aborted = expectRejection(pool.acquire({ signal: controller.signal }));
  const first = pool.acquire();
  const second = pool.acquire();
  expect(pool.counts().waiting).toBe(4);
  controller.abort(new Error('job cancelled'));
  expect(await timedOut).toBeInstanceOf(ClaimTimeoutError);
  expect(((await aborted) as Error).message).toBe('job cancelled');
  leases[2]?.release();
  const firstLease = await first;
  expect(firstLease.clientId).toBe(leases[2]?.clientId);
  leases[0]?.release();
  expect((await second).clientId).toBe(leases[0]?.clientId);
  firstLease.release();
  (await second).release();
  for (const lease of leases) lease.release();
  expect(pool.counts()).toMatchObject({ busy: 0, waiting: 0 });
});

it('a connection closed by the endpoint fails the operation as retryable, and the pool recovers', async () => {
  emulator.setFaults({ operations: { CreateKeysAndCertificate: { disconnectAfterRequestRate: 1 } } });
  const lease = await pool.acquire();
  const error = await expectRejection(lease.createKeysAndCertificate());
  lease.release();
  emulator.setFaults({});
  expect(error).toBeInstanceOf(ClaimConnectionError);
  expect((error as ClaimConnectionError).retryable).toBe(true);
  expect(pool.counts().up).toBe(K - 1);

  const started = Date.now();
  await pool.ready(10_000);
  // The same client id reconnected, no sooner than 1 s after its previous CONNECT.
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  const results = await Promise.all(
    Array.from({ length: 2 * K }, (_, index) =>
      pool.withLease(async (next) => {
        const created = await next.createKeysAndCertificate();
        return (
          await next.registerThing(TEMPLATE_NAME, created.certificateOwnershipToken, {
            SerialNumber: `RECOVER-${index}`,
          })
        ).thingName;
      }),
    ),
  );
  expect(results).toEqual(Array.from({ length: 2 * K }, (_, index) => `RECOVER-${index}`));
});
