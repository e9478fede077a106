import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import {
  confirmAwsCleanUp,
  markFailed,
  orphan,
  requestRevocation,
  unsettledCertificates,
  type ProvisioningLedger,
} from '../src/index.js';

/**
 * Keys of certificates claimline will never hand out are shredded in the statement that changes their
 * status (docs/worker.md, "The maintenance queue"): ORPHANED, REVOKING/REVOKED, and a FAILED unit's
 * ISSUED (→ ORPHANED) and ACTIVE (→ REVOKING) ones; each shredded key audited. A REGISTERING one keeps
 * its key (outcome unknown). Every such certificate is then listed for its clean-up at AWS.
 */

let db: TestDatabase;
let ledger: ProvisioningLedger;
beforeEach(async () => {
  db = await createTestDatabase();
  ledger = {
    prisma: db.prisma,
    who: { actor: 'test', origin: 'here' },
    leaseMs: 60_000,
    tokenTtlMs: 3_600_000,
  };
});
afterEach(() => db.drop());

async function seed(state: 'CLAIMING' | 'REGISTERED', statuses: ('ISSUED' | 'REGISTERING' | 'ACTIVE')[]) {
  const batch = await db.prisma.batch.create({ data: { externalRef: 'B', templateName: 'tpl' } });
  const device = await db.prisma.device.create({ data: { serial: 'SN-1', batchId: batch.id, state } });
  const ids: string[] = [];
  for (const [i, status] of statuses.entries()) {
    const cert = await db.prisma.certificate.create({
      data: {
        certificateId: `cert-${i}`,
        deviceId: device.id,
        certificatePem: 'PEM',
        status,
        privateKeyCiphertext: new Uint8Array([1, i]),
        privateKeyWrappedKey: new Uint8Array([2, i]),
        privateKeyKekId: 'local:k1',
        privateKeyAlgorithm: 'AES-256-GCM',
        ownershipTokenCiphertext: new Uint8Array([3, i]),
        ownershipTokenWrappedKey: new Uint8Array([4, i]),
        ownershipTokenKekId: 'local:k1',
        ownershipTokenAlgorithm: 'AES-256-GCM',
      },
    });
    ids.push(cert.id);
  }
  return { deviceId: device.id, ids };
}

const rowsOf = (deviceId: string) =>
  db.prisma.certificate.findMany({ where: { deviceId }, orderBy: { certificateId: 'asc' } });
const shredAudits = (deviceId: string) =>
  db.prisma.auditEvent.findMany({ where: { deviceId, action: 'certificate.key-shredded' } });

it('orphan: status, token and key in one statement, audited', async () => {
  const { deviceId, ids } = await seed('CLAIMING', ['ISSUED']);
  await orphan(ledger, ids[0]!, new Date());
  const [row] = await rowsOf(deviceId);
  expect(row).toMatchObject({
    status: 'ORPHANED',
    privateKeyCiphertext: null,
    privateKeyWrappedKey: null,
    ownershipTokenCiphertext: null,
  });
  expect(row!.shreddedAt).not.toBeNull();
  expect((await shredAudits(deviceId)).map((e) => e.details)).toEqual([
    { certificateId: 'cert-0', reason: 'orphaned' },
  ]);
});

it('revoke: ACTIVE → REVOKING without its key, audited; REVOKED once AWS confirmed', async () => {
  const { deviceId, ids } = await seed('REGISTERED', ['ACTIVE']);
  const refs = await db.prisma.$transaction((tx) => requestRevocation(tx, ledger.who, deviceId));
  expect(refs).toEqual([{ id: ids[0], certificateId: 'cert-0' }]);
  expect(await rowsOf(deviceId)).toMatchObject([{ status: 'REVOKING', privateKeyCiphertext: null }]);
  expect(await shredAudits(deviceId)).toHaveLength(1);
  expect(await unsettledCertificates(db.prisma, 10)).toMatchObject([{ id: ids[0], status: 'REVOKING' }]);

  const device = await db.prisma.device.findUniqueOrThrow({ where: { id: deviceId } });
  const cert = { id: ids[0]!, deviceId, batchId: device.batchId, certificateId: 'cert-0' };
  expect(await confirmAwsCleanUp(db.prisma, ledger.who, cert, { kind: 'revoked', details: {} })).toBe(true);
  expect(await confirmAwsCleanUp(db.prisma, ledger.who, cert, { kind: 'revoked', details: {} })).toBe(false);
  const [row] = await rowsOf(deviceId);
  expect(row?.status).toBe('REVOKED');
  expect(row?.awsSettledAt).not.toBeNull();
  expect(await unsettledCertificates(db.prisma, 10)).toEqual([]);
});

it('FAILED unit: ISSUED → ORPHANED and ACTIVE → REVOKING, both keyless; REGISTERING keeps its key', async () => {
  const { deviceId } = await seed('CLAIMING', ['ISSUED', 'REGISTERING', 'ACTIVE']);
  await markFailed(ledger, deviceId, { code: 'X', message: 'gave up', retryable: false });
  const rows = await rowsOf(deviceId);
  expect(rows.map((r) => [r.status, r.privateKeyCiphertext === null])).toEqual([
    ['ORPHANED', true],
    ['REGISTERING', false],
    ['REVOKING', true],
  ]);
  expect((await shredAudits(deviceId)).map((e) => e.details)).toEqual(
    expect.arrayContaining([
      { certificateId: 'cert-0', reason: 'unit-failed' },
      { certificateId: 'cert-2', reason: 'unit-failed' },
    ]),
  );
  expect((await unsettledCertificates(db.prisma, 10)).map((c) => c.status).sort()).toEqual([
    'ORPHANED',
    'REVOKING',
  ]);
});
