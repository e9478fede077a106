import { createHash, X509Certificate, createPublicKey } from 'node:crypto';
import { generateKeyAndCsr } from '@claimline/claim-client';
import { enqueueProvisioning } from '@claimline/jobs';
import { startHarness, TEST_TEMPLATE, waitFor, waitForSettled, type Harness } from './harness';

/**
 * Keys born in the unit (issue 14): the worker signs the unit's stored CSR (CreateCertificateFromCsr)
 * and registers it; no key is generated, stored or sealed, no verification CONNECT is attempted (no key
 * to connect with), and a lost RegisterThing answer is resolved through the control plane only.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const spki = (pem: string) =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');
const arrivals = (operation: 'CreateCertificateFromCsr' | 'RegisterThing') =>
  h.emulator.registry.counters().reduce((sum, second) => sum + (second.counts[operation] ?? 0), 0);
const fromCsr = () => arrivals('CreateCertificateFromCsr');

/** Units of a device-csr batch whose CSR a station has posted (QUEUED, the CSR stored), enqueued. */
async function seedWithCsrs(prefix: string, count: number) {
  const batch = await h.prisma.batch.create({
    data: {
      externalRef: `WO-${prefix}`,
      templateName: TEST_TEMPLATE,
      templateParameters: { Line: 'L7' },
      mode: 'DEVICE_CSR',
    },
  });
  const units = [];
  for (let i = 0; i < count; i++) {
    const serial = `${prefix}${String(i).padStart(4, '0')}`;
    const { privateKeyPem, csrPem } = await generateKeyAndCsr(serial, 'ec-p256');
    const device = await h.prisma.device.create({
      data: { serial, batchId: batch.id, csrPem, csrReceivedAt: new Date() },
    });
    units.push({ id: device.id, serial, keyDigest: spki(privateKeyPem) });
  }
  await enqueueProvisioning(
    h.queue,
    units.map((u) => ({ deviceId: u.id, serial: u.serial })),
    100,
  );
  return { batchId: batch.id, units };
}

it("signs the unit's CSR, registers it, stores no key and skips the verification connect", async () => {
  const { batchId, units } = await seedWithCsrs('DCW', 3);
  const worker = h.spawnWorker({ WORKER_VERIFY_CONNECT: 'true' });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();
  for (const unit of units) {
    const device = await h.prisma.device.findUniqueOrThrow({
      where: { id: unit.id },
      include: { certificates: true, auditEvents: true },
    });
    expect([device.serial, device.state]).toEqual([unit.serial, 'REGISTERED']);
    const [certificate] = device.certificates;
    expect(certificate).toMatchObject({
      status: 'ACTIVE',
      privateKeyCiphertext: null,
      privateKeyWrappedKey: null,
      privateKeyKekId: null,
    });
    // The certificate carries the unit's own public key.
    expect(
      spki(
        new X509Certificate(certificate!.certificatePem).publicKey.export({
          type: 'spki',
          format: 'pem',
        }) as string,
      ),
    ).toBe(unit.keyDigest);
    expect(device.auditEvents.map((e) => e.action)).not.toContain('device.verified');
  }
}, 120_000);

it('a lost RegisterThing answer is resolved through the control plane, never by a second certificate', async () => {
  const { batchId, units } = await seedWithCsrs('DCL', 1);
  h.emulator.setFaults({ operations: { RegisterThing: { dropRate: 1 } } });
  const registersBefore = arrivals('RegisterThing');
  const worker = h.spawnWorker({ CLAIM_POOL_SIZE: '1', CLAIM_OPERATION_TIMEOUT_MS: '1500' });
  await waitFor(
    async () =>
      (await h.prisma.certificate.count({ where: { status: 'REGISTERING', device: { batchId } } })) === 1,
    60_000,
    'the certificate REGISTERING',
  );
  // REGISTERING is recorded before RegisterThing is sent: the faults stay on until the emulator has
  // counted that request (its drop is decided as it is counted), or its answer could still arrive.
  await waitFor(
    async () => arrivals('RegisterThing') > registersBefore,
    30_000,
    'RegisterThing at the emulator',
  );
  const signed = fromCsr();
  h.emulator.setFaults({ operations: {} });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();
  const device = await h.prisma.device.findUniqueOrThrow({
    where: { id: units[0]!.id },
    include: { certificates: true, auditEvents: true },
  });
  expect(device.state).toBe('REGISTERED');
  expect(device.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
  expect(device.auditEvents.find((e) => e.action === 'device.registered')?.details).toMatchObject({
    evidence: 'control-plane',
  });
  expect(fromCsr() - signed).toBe(0);
}, 180_000);
