import fs from 'node:fs';
import path from 'node:path';
import { startHarness, seedBatch, waitFor, waitForSettled, type Harness } from './harness';

/**
 * RegisterThing applied at AWS, its answer lost: the unit must end REGISTERED with the certificate
 * AWS registered, never with a second one (docs/worker.md, "A lost RegisterThing answer"). Here
 * without a control plane (CONTROL_PLANE=off): the connect probe decides;
 * control-plane-resolution.test.ts has the same with the control plane.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const created = () =>
  h.emulator.registry
    .counters()
    .reduce((sum, second) => sum + (second.counts.CreateKeysAndCertificate ?? 0), 0);

const thingsOf = (serials: string[]) =>
  h.emulator.registry.things().filter((t) => serials.some((s) => t.thingName === `unit-${s}`));

/**
 * Every RegisterThing applied, every answer dropped, until each unit's certificate is REGISTERING in
 * the database and its thing exists at the emulator (REGISTERING is written before the publish, so
 * the emulator may still be working on the last one when the database already says so).
 */
async function loseEveryRegisterAnswer(batchId: string, serials: string[]): Promise<void> {
  h.emulator.setFaults({ operations: { RegisterThing: { dropRate: 1 } } });
  await waitFor(
    async () =>
      (await h.prisma.certificate.count({ where: { status: 'REGISTERING', device: { batchId } } })) ===
        serials.length && thingsOf(serials).length === serials.length,
    60_000,
    `${serials.length} certificates REGISTERING and registered at the emulator`,
  );
}

it('resolves a lost answer to the certificate AWS registered, proven by a connect probe', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 4, serialPrefix: 'LOST' });
  const worker = h.spawnWorker({
    CLAIM_POOL_SIZE: '2',
    CLAIM_OPERATION_TIMEOUT_MS: '1500',
    CONTROL_PLANE: 'off',
  });
  await loseEveryRegisterAnswer(batchId, serials);
  // From here on, resolving must not create a single certificate. (Before, a CreateKeysAndCertificate
  // answer may time out on a loaded machine: AWS then issued one nobody will ever register.)
  const before = created();
  // AWS (the emulator) registered all four: their certificates are ACTIVE there, unknown here.
  expect(thingsOf(serials)).toHaveLength(4);
  h.emulator.setFaults({ operations: {} });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();

  const devices = await h.prisma.device.findMany({
    where: { batchId },
    include: { certificates: true, auditEvents: true },
  });
  const certificates = new Map(h.emulator.registry.certificates().map((c) => [c.certificateId, c]));
  for (const device of devices) {
    expect([device.serial, device.state]).toEqual([device.serial, 'REGISTERED']);
    expect(device.thingName).toBe(`unit-${device.serial}`);
    // The template's DeviceConfiguration, evaluated with the batch's parameters.
    expect(device.deviceConfiguration).toEqual({ line: 'L7', fallbackUrl: 'https://example.invalid/fw' });
    expect(device.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
    const [certificate] = device.certificates;
    expect(certificates.get(certificate!.certificateId)?.status).toBe('ACTIVE');
    expect(certificates.get(certificate!.certificateId)?.thingName).toBe(device.thingName);
    const registered = device.auditEvents.find((e) => e.action === 'device.registered');
    expect(registered?.details).toMatchObject({
      certificateId: certificate!.certificateId,
      evidence: 'connect-probe',
    });
  }
  // No certificate created while resolving; each thing holds only the one it was registered with.
  expect(created() - before).toBe(0);
  for (const thing of thingsOf(serials)) expect(thing.certificateIds).toHaveLength(1);
});

it('keeps a unit waiting, with no second certificate, while the outcome cannot be proven', async () => {
  const { batchId, serials } = await seedBatch(h, { count: 1, serialPrefix: 'UNKNOWN' });
  // No template to name the thing: the probe is impossible, so the outcome stays unknown.
  const noTemplates = fs.mkdtempSync(path.join(h.dir, 'no-templates-'));
  const blind = h.spawnWorker({
    CLAIM_POOL_SIZE: '1',
    CLAIM_OPERATION_TIMEOUT_MS: '1500',
    WORKER_TEMPLATES_DIR: noTemplates,
    CONTROL_PLANE: 'off',
  });
  await loseEveryRegisterAnswer(batchId, serials);
  const before = created();
  h.emulator.setFaults({ operations: {} });
  const waiting = await waitFor(
    async () => {
      const device = await h.prisma.device.findUniqueOrThrow({
        where: { serial: serials[0]! },
        include: { certificates: true },
      });
      return device.lastErrorCode === 'RegistrationOutcomeUnknown' && device.attempts >= 3
        ? device
        : undefined;
    },
    60_000,
    'two resolutions that end unknown',
  );
  await blind.stop();
  expect(waiting.state).toBe('CERT_ISSUED');
  expect(waiting.certificates.map((c) => c.status)).toEqual(['REGISTERING']);
  expect(created() - before).toBe(0);

  // With its template back, the next attempt proves the registration.
  const worker = h.spawnWorker({ CLAIM_POOL_SIZE: '1', CONTROL_PLANE: 'off' });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();
  const device = await h.prisma.device.findUniqueOrThrow({
    where: { serial: serials[0]! },
    include: { certificates: true },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates.map((c) => [c.certificateId, c.status])).toEqual([
    [waiting.certificates[0]!.certificateId, 'ACTIVE'],
  ]);
  expect(created() - before).toBe(0);
});
