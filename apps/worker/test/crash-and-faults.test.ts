import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

it('reuses the saved certificate after a crash between CreateKeysAndCertificate and RegisterThing', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'CRASH' });
  const crashing = h.spawnWorker({
    WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: 'true',
    CLAIM_POOL_SIZE: '1',
  });
  await crashing.exited;
  const saved = await h.prisma.certificate.findMany({ where: { device: { serial: serials[0]! } } });
  expect(saved).toHaveLength(1);
  expect(saved[0]?.status).toBe('ISSUED');
  expect((await h.prisma.device.findUniqueOrThrow({ where: { serial: serials[0]! } })).state).toBe(
    'CERT_ISSUED',
  );

  const survivor = h.spawnWorker({ CLAIM_POOL_SIZE: '1' });
  await waitForSettled(h, [batchId], 60_000);
  const device = await h.prisma.device.findUniqueOrThrow({
    where: { serial: serials[0]! },
    include: { certificates: true },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates).toHaveLength(1);
  expect(device.certificates[0]?.certificateId).toBe(saved[0]?.certificateId);
  expect(device.certificates[0]?.status).toBe('ACTIVE');
  const created = h.emulator.registry
    .counters()
    .reduce((sum, second) => sum + (second.counts.CreateKeysAndCertificate ?? 0), 0);
  expect(created).toBe(1);
  await survivor.stop();
});

it('ends every device REGISTERED under dropped answers, 500s, 429s and closed connections', async () => {
  h.emulator.setFaults({
    seed: 42,
    errorRate: 0.1,
    throttleRate: 0.1,
    disconnectAfterRequestRate: 0.05,
    // A dropped RegisterThing answer: AWS registered, the worker must find out (docs/worker.md).
    operations: {
      CreateKeysAndCertificate: { dropRate: 0.2 },
      CreateCertificateFromCsr: { dropRate: 0.2 },
      RegisterThing: { dropRate: 0.2 },
    },
  });
  const a = await seedBatch(h, { count: 30, serialPrefix: 'FJ', payloadFormat: 'JSON' });
  const b = await seedBatch(h, { count: 30, serialPrefix: 'FC', payloadFormat: 'CBOR', mode: 'CSR' });
  const workers = [
    h.spawnWorker({ CLAIM_OPERATION_TIMEOUT_MS: '800' }),
    h.spawnWorker({ CLAIM_OPERATION_TIMEOUT_MS: '800' }),
  ];
  await waitForSettled(h, [a.batchId, b.batchId], 120_000);
  h.emulator.setFaults({ errorRate: 0, throttleRate: 0, disconnectAfterRequestRate: 0, operations: {} });
  const devices = await h.prisma.device.findMany({
    where: { batchId: { in: [a.batchId, b.batchId] } },
    include: { certificates: true },
  });
  expect(
    devices.filter((d) => d.state !== 'REGISTERED').map((d) => [d.serial, d.state, d.lastErrorCode]),
  ).toEqual([]);
  for (const d of devices) expect(d.certificates.filter((c) => c.status === 'ACTIVE')).toHaveLength(1);
  // AWS agrees: each thing's only ACTIVE certificate is the database's.
  const emulated = new Map(h.emulator.registry.certificates().map((c) => [c.certificateId, c]));
  const things = new Map(h.emulator.registry.things().map((t) => [t.thingName, t]));
  const disagreements = devices.flatMap((d) => {
    const active = things
      .get(`unit-${d.serial}`)
      ?.certificateIds.filter((id) => emulated.get(id)?.status === 'ACTIVE');
    const mine = d.certificates.find((c) => c.status === 'ACTIVE')?.certificateId;
    return active?.length === 1 && active[0] === mine ? [] : [[d.serial, mine, active]];
  });
  expect(disagreements).toEqual([]);
  const retried = devices.filter((d) => d.attempts > 1).length;
  expect(retried).toBeGreaterThan(0);
  await Promise.all(workers.map((w) => w.stop()));
});

it('fails a device permanently with AWS error code when the template does not exist', async () => {
  const { batchId, serials } = await seedBatch(h, {
    count: 2,
    serialPrefix: 'NOTPL',
    templateName: 'no-such-template',
  });
  const worker = h.spawnWorker();
  await waitForSettled(h, [batchId], 60_000);
  const devices = await h.prisma.device.findMany({ where: { serial: { in: serials } } });
  for (const d of devices) {
    expect(d.state).toBe('FAILED');
    expect(d.lastErrorRetryable).toBe(false);
    expect(d.lastErrorCode).toMatch(/NotFound/);
    expect(d.attempts).toBe(1);
  }
  expect((await h.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).finishedAt).not.toBeNull();
  await worker.stop();
});

it('finishes the job in flight and exits 0 on SIGTERM', async () => {
  h.emulator.setFaults({ delayMs: 1_500 });
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'TERM' });
  const worker = h.spawnWorker({ CLAIM_POOL_SIZE: '1' });
  await waitFor(
    async () =>
      (await h.prisma.device.findUniqueOrThrow({ where: { serial: serials[0]! } })).state !== 'QUEUED',
    30_000,
    'the job to start',
  );
  const code = await worker.stop('SIGTERM');
  h.emulator.setFaults({ delayMs: 0 });
  expect(code).toBe(0);
  await waitForSettled(h, [batchId], 1_000);
  expect((await h.prisma.device.findUniqueOrThrow({ where: { serial: serials[0]! } })).state).toBe(
    'REGISTERED',
  );
});
