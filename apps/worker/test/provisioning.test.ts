import { createPublicKey, X509Certificate } from 'node:crypto';
import { createVault } from '@claimline/vault';
import { startHarness, seedBatch, waitForSettled, type Harness } from './harness';

/** 200 serials through two worker processes, in every format and mode, against the emulator. */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

it('registers every device exactly once, with a sealed key that matches its certificate', async () => {
  const batches = await Promise.all([
    seedBatch(h, { count: 60, serialPrefix: 'JK', payloadFormat: 'JSON', mode: 'CREATE_KEYS' }),
    seedBatch(h, { count: 60, serialPrefix: 'CK', payloadFormat: 'CBOR', mode: 'CREATE_KEYS' }),
    seedBatch(h, {
      count: 50,
      serialPrefix: 'JC',
      payloadFormat: 'JSON',
      mode: 'CSR',
      keyAlgorithm: 'EC_P256',
    }),
    seedBatch(h, {
      count: 24,
      serialPrefix: 'CC',
      payloadFormat: 'CBOR',
      mode: 'CSR',
      keyAlgorithm: 'EC_P256',
    }),
    seedBatch(h, {
      count: 6,
      serialPrefix: 'CR',
      payloadFormat: 'CBOR',
      mode: 'CSR',
      keyAlgorithm: 'RSA_2048',
    }),
  ]);
  const workers = [h.spawnWorker(), h.spawnWorker()];
  const batchIds = batches.map((b) => b.batchId);
  await waitForSettled(h, batchIds, 120_000);

  const devices = await h.prisma.device.findMany({
    where: { batchId: { in: batchIds } },
    include: { certificates: true },
  });
  expect(devices).toHaveLength(200);
  expect(
    devices.filter((d) => d.state !== 'REGISTERED').map((d) => [d.serial, d.state, d.lastErrorCode]),
  ).toEqual([]);

  const things = new Map(h.emulator.registry.things().map((t) => [t.thingName, t]));
  const awsCertificates = new Map(h.emulator.registry.certificates().map((c) => [c.certificateId, c]));
  const vault = createVault({ VAULT_PROVIDER: 'local', VAULT_LOCAL_KEYS_FILE: h.env.VAULT_LOCAL_KEYS_FILE });

  for (const device of devices) {
    const active = device.certificates.filter((c) => c.status === 'ACTIVE');
    expect(active).toHaveLength(1);
    const certificate = active[0]!;
    expect(device.thingName).toBe(`unit-${device.serial}`);
    expect(device.deviceConfiguration).toEqual({ line: 'L7', fallbackUrl: 'https://example.invalid/fw' });
    const thing = things.get(device.thingName!);
    expect(thing?.attributes).toMatchObject({ serial: device.serial, line: 'L7' });
    expect(thing?.certificateIds).toEqual([certificate.certificateId]);
    expect(awsCertificates.get(certificate.certificateId)?.status).toBe('ACTIVE');
    // The spent ownership token is gone; the key opens and belongs to the certificate.
    expect(certificate.ownershipTokenCiphertext).toBeNull();
    const key = await vault.open(
      {
        ciphertext: Buffer.from(certificate.privateKeyCiphertext!),
        wrappedKey: Buffer.from(certificate.privateKeyWrappedKey!),
        kekId: certificate.privateKeyKekId!,
        algorithm: certificate.privateKeyAlgorithm!,
      },
      { serial: device.serial, certificateId: certificate.certificateId, purpose: 'private-key' },
    );
    const publicFromKey = createPublicKey(key.toString('utf8')).export({ type: 'spki', format: 'der' });
    const publicFromCert = new X509Certificate(certificate.certificatePem).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    expect(Buffer.compare(publicFromKey, publicFromCert)).toBe(0);
  }
  // Exactly one certificate was issued per device: nothing was provisioned twice.
  expect(h.emulator.registry.certificates()).toHaveLength(200);
  const rsa = devices.find((d) => d.serial.startsWith('CR'))!;
  expect(new X509Certificate(rsa.certificates[0]!.certificatePem).publicKey.asymmetricKeyType).toBe('rsa');

  // Secrets stayed out of the queue, the workers' logs and every text column.
  const jobs = await h.queue.getJobs(['completed', 'failed', 'waiting', 'active'], 0, 1000);
  for (const job of jobs) expect(Object.keys(job.data as object).sort()).toEqual(['deviceId', 'serial']);
  await Promise.all(workers.map((w) => w.stop('SIGTERM')));
  const logs = workers.flatMap((w) => w.output).join('');
  expect(logs).toContain('registered');
  expect(logs).not.toMatch(/PRIVATE KEY/);
  const plaintext = await h.db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM certificate
     WHERE certificate_pem LIKE '%PRIVATE KEY%'
        OR position('PRIVATE KEY'::bytea IN private_key_ciphertext) > 0
        OR position('PRIVATE KEY'::bytea IN private_key_wrapped_key) > 0`,
  );
  expect(plaintext[0]?.n).toBe('0');
  const audit = await h.prisma.auditEvent.count({
    where: { action: 'device.registered', batchId: { in: batchIds } },
  });
  expect(audit).toBe(200);
  expect(await h.prisma.batch.count({ where: { id: { in: batchIds }, finishedAt: null } })).toBe(0);
});
