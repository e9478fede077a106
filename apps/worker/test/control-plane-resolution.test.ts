import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

/**
 * A lost RegisterThing answer decided by AWS's control plane (DescribeCertificate +
 * ListPrincipalThings, against the emulator's): registered → REGISTERED with that certificate;
 * never registered (the request itself was lost and the token expired at AWS) → ORPHANED and a new
 * certificate. docs/worker.md, "A lost RegisterThing answer".
 */

const TOKEN_TTL_SECONDS = 8;
let h: Harness;

beforeAll(async () => {
  // Short token life at the emulator: a lost request's token expires before it is sent again.
  h = await startHarness({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
});

afterAll(async () => {
  await h?.close();
});

const created = () =>
  h.emulator.registry
    .counters()
    .reduce((sum, second) => sum + (second.counts.CreateKeysAndCertificate ?? 0), 0);
const atEmulator = (certificateId: string) =>
  h.emulator.registry.certificates().find((c) => c.certificateId === certificateId);
const thingOf = (serial: string) =>
  h.emulator.registry.things().find((t) => t.thingName === `unit-${serial}`);

const registering = (batchId: string, count: number) =>
  waitFor(
    async () =>
      (await h.prisma.certificate.count({ where: { status: 'REGISTERING', device: { batchId } } })) === count,
    60_000,
    `${count} certificates REGISTERING`,
  );

it('registered at AWS, answer lost: REGISTERED with that certificate, evidence control-plane', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 2, serialPrefix: 'CPREG' });
  h.emulator.setFaults({ operations: { RegisterThing: { dropRate: 1 } } });
  const worker = h.spawnWorker({ CLAIM_POOL_SIZE: '2', CLAIM_OPERATION_TIMEOUT_MS: '1500' });
  await registering(batchId, 2);
  await waitFor(async () => serials.every((s) => thingOf(s)), 30_000, 'both things at the emulator');
  const before = created();
  h.emulator.setFaults({ operations: {} });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();

  const devices = await h.prisma.device.findMany({
    where: { batchId },
    include: { certificates: true, auditEvents: true },
  });
  for (const device of devices) {
    expect([device.serial, device.state]).toEqual([device.serial, 'REGISTERED']);
    expect(device.thingName).toBe(`unit-${device.serial}`);
    expect(device.deviceConfiguration).toEqual({ line: 'L7', fallbackUrl: 'https://example.invalid/fw' });
    expect(device.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
    const certificateId = device.certificates[0]!.certificateId;
    expect(atEmulator(certificateId)?.status).toBe('ACTIVE');
    expect(thingOf(device.serial)?.certificateIds).toEqual([certificateId]);
    const event = device.auditEvents.find((e) => e.action === 'device.registered');
    expect(event?.details).toMatchObject({ certificateId, evidence: 'control-plane' });
  }
  expect(created() - before).toBe(0);
}, 180_000);

it('never registered (request lost, token expired at AWS): ORPHANED, then a new certificate', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'CPORPH' });
  // The connection closes as RegisterThing arrives: AWS applied nothing, the worker heard nothing.
  h.emulator.setFaults({ operations: { RegisterThing: { disconnectAfterRequestRate: 1 } } });
  const first = h.spawnWorker({ CLAIM_POOL_SIZE: '1', CLAIM_OPERATION_TIMEOUT_MS: '1500' });
  await registering(batchId, 1);
  await first.stop('SIGKILL');
  const lost = await h.prisma.certificate.findFirstOrThrow({ where: { device: { batchId } } });
  expect(atEmulator(lost.certificateId)?.status).toBe('PENDING_ACTIVATION');
  expect(thingOf(serials[0]!)).toBeUndefined();
  // Let the token expire at the emulator (it counts from the certificate's creation).
  const expiresAt = lost.createdAt.getTime() + TOKEN_TTL_SECONDS * 1000 + 500;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now())));
  h.emulator.setFaults({ operations: {} });
  const worker = h.spawnWorker({ CLAIM_POOL_SIZE: '1', CLAIM_OPERATION_TIMEOUT_MS: '1500' });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();

  const device = await h.prisma.device.findUniqueOrThrow({
    where: { serial: serials[0]! },
    include: { certificates: { orderBy: { createdAt: 'asc' } } },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates.map((c) => [c.certificateId, c.status])).toEqual([
    [lost.certificateId, 'ORPHANED'],
    [expect.not.stringMatching(lost.certificateId), 'ACTIVE'],
  ]);
  const active = device.certificates[1]!.certificateId;
  expect(thingOf(serials[0]!)?.certificateIds).toEqual([active]);
  expect(atEmulator(active)?.status).toBe('ACTIVE');
  expect(atEmulator(lost.certificateId)?.status).not.toBe('ACTIVE');
}, 180_000);
