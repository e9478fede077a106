import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { markBatchFinishedIfDone, startAttempt, type ProvisioningLedger } from '../src/index.js';

/**
 * startAttempt takes the device and loads it in one statement on the client's pg pool; what it returns
 * must be exactly what Prisma returns for the same row (every column, the same types: UTC dates,
 * Uint8Array bytes, parsed JSON), so that a column added to the schema cannot go missing silently.
 */

let db: TestDatabase;
let ledger: ProvisioningLedger;
beforeEach(async () => {
  db = await createTestDatabase();
  ledger = {
    prisma: db.prisma,
    who: { actor: 'test', origin: 'test' },
    leaseMs: 60_000,
    tokenTtlMs: 3_600_000,
  };
});
afterEach(() => db.drop());

async function seedDevice(certificates: number) {
  const batch = await db.prisma.batch.create({
    data: {
      externalRef: 'B1',
      templateName: 'tpl',
      templateParameters: { Region: 'eu', Slot: 3 },
      payloadFormat: 'CBOR',
      mode: 'CSR',
      keyAlgorithm: 'RSA_2048',
    },
  });
  const device = await db.prisma.device.create({
    data: { serial: 'SN-1', batchId: batch.id, parameters: { Color: 'red' } },
  });
  for (let i = 0; i < certificates; i += 1) {
    await db.prisma.certificate.create({
      data: {
        certificateId: `cert-${i}`,
        deviceId: device.id,
        certificatePem: `PEM-${i}`,
        status: i === 0 ? 'ORPHANED' : 'ISSUED',
        privateKeyCiphertext: new Uint8Array([1, 2, 3, i]),
        privateKeyWrappedKey: new Uint8Array([9, 8, i]),
        privateKeyKekId: 'local:k1',
        privateKeyAlgorithm: 'AES-256-GCM',
        ownershipTokenExpiresAt: new Date('2030-01-02T03:04:05.678Z'),
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      },
    });
  }
  return device.id;
}

const asPrismaLoadsIt = (id: string) =>
  db.prisma.device.findUniqueOrThrow({
    where: { id },
    include: { batch: true, certificates: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
  });

describe('startAttempt', () => {
  it.each([0, 1, 2])(
    'returns the device, its batch and %i certificates exactly as Prisma loads them',
    async (n) => {
      const id = await seedDevice(n);
      const at = new Date('2026-11-30T12:34:56.789Z');
      const started = await startAttempt(ledger, id, at);
      if (started.kind !== 'started') throw new Error(`not started: ${started.kind}`);
      const loaded = await asPrismaLoadsIt(id);
      expect(started.device).toEqual(loaded);
      expect(started.device.certificates).toHaveLength(n);
      // Written as UTC and read back as UTC, whatever the session's or the process's time zone.
      expect(loaded.claimingAt).toEqual(at);
      expect(loaded.state).toBe('CLAIMING');
      expect(started.fence).toEqual({ deviceId: id, attempt: 1 });
    },
  );

  it('a second attempt inside the lease is busy; after the lease, it takes the device with the next fence', async () => {
    const id = await seedDevice(0);
    const at = new Date('2026-11-30T12:00:00.000Z');
    await startAttempt(ledger, id, at);
    const busy = await startAttempt(ledger, id, new Date(at.getTime() + 1_000));
    expect(busy).toEqual({ kind: 'busy', retryInMs: 59_000 });
    const next = await startAttempt(ledger, id, new Date(at.getTime() + 61_000));
    expect(next).toMatchObject({ kind: 'started', fence: { deviceId: id, attempt: 2 } });
  });

  it('a settled device is skipped, and its batch is then finished', async () => {
    const id = await seedDevice(0);
    await db.query(`UPDATE device SET state = 'REGISTERED' WHERE id = $1`, [id]);
    expect(await startAttempt(ledger, id, new Date())).toEqual({ kind: 'skipped', state: 'REGISTERED' });
    const { batchId } = await db.prisma.device.findUniqueOrThrow({ where: { id } });
    await markBatchFinishedIfDone(db.prisma, batchId);
    const batch = await db.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.finishedAt).toBeInstanceOf(Date);
  });
});
