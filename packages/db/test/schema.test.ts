import { Prisma } from '@claimline/db';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { randomBytes } from 'node:crypto';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

const sealed = () => ({
  ciphertext: randomBytes(48),
  wrappedKey: randomBytes(60),
  kekId: 'k1',
  algorithm: 'AES-256-GCM',
});

async function makeDevice(serial: string) {
  const key = await db.prisma.apiKey.create({
    data: {
      name: `mes-${serial}`,
      prefix: `cl_${serial}`,
      secretHash: randomBytes(32).toString('hex'),
      role: 'MES',
    },
  });
  const batch = await db.prisma.batch.create({
    data: {
      externalRef: `WO-${serial}`,
      templateName: 'claimline-default',
      templateParameters: { Line: '3' },
      payloadFormat: 'CBOR',
      mode: 'CSR',
      keyAlgorithm: 'RSA_2048',
      priority: 5,
      requestedByKeyId: key.id,
    },
  });
  return db.prisma.device.create({ data: { serial, batchId: batch.id, parameters: { Color: 'red' } } });
}

describe('the migrated database', () => {
  it('has every migration applied and recorded for prisma migrate deploy', async () => {
    const rows = await db.query<{ migration_name: string; finished_at: Date | null; checksum: string }>(
      'SELECT migration_name, finished_at, checksum FROM _prisma_migrations',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('writes and reads a device with a sealed certificate through the client', async () => {
    const device = await makeDevice('SN-ROUNDTRIP-1');
    const pk = sealed();
    const token = sealed();
    await db.prisma.certificate.create({
      data: {
        certificateId: randomBytes(32).toString('hex'),
        deviceId: device.id,
        certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        privateKeyCiphertext: pk.ciphertext,
        privateKeyWrappedKey: pk.wrappedKey,
        privateKeyKekId: pk.kekId,
        privateKeyAlgorithm: pk.algorithm,
        ownershipTokenCiphertext: token.ciphertext,
        ownershipTokenWrappedKey: token.wrappedKey,
        ownershipTokenKekId: token.kekId,
        ownershipTokenAlgorithm: token.algorithm,
        ownershipTokenExpiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    const loaded = await db.prisma.device.findUniqueOrThrow({
      where: { serial: 'SN-ROUNDTRIP-1' },
      include: { certificates: true, batch: { include: { requestedBy: true } } },
    });
    expect(loaded.state).toBe('QUEUED');
    expect(loaded.parameters).toEqual({ Color: 'red' });
    expect(loaded.batch.templateParameters).toEqual({ Line: '3' });
    expect(loaded.batch.payloadFormat).toBe('CBOR');
    expect(loaded.batch.requestedBy?.role).toBe('MES');
    const [cert] = loaded.certificates;
    expect(cert?.status).toBe('ISSUED');
    expect(Buffer.from(cert!.privateKeyCiphertext!)).toEqual(pk.ciphertext);
    expect(Buffer.from(cert!.ownershipTokenWrappedKey!)).toEqual(token.wrappedKey);
  });

  it('round-trips the station, batch assignment, audit and idempotency models', async () => {
    const device = await makeDevice('SN-ROUNDTRIP-2');
    const station = await db.prisma.station.create({
      data: { name: 'line-3-a', line: '3', publicKey: 'pk' },
    });
    await db.prisma.batchStation.create({ data: { batchId: device.batchId, stationId: station.id } });
    const key = await db.prisma.apiKey.create({
      data: { name: 'st', prefix: 'cl_st1', secretHash: 'h-st1', role: 'STATION', stationId: station.id },
    });
    await db.prisma.device.update({
      where: { id: device.id },
      data: { state: 'DOWNLOADED', downloadedByStationId: station.id, downloadedAt: new Date() },
    });
    const event = await db.prisma.auditEvent.create({
      data: {
        actor: 'station:line-3-a',
        action: 'device.downloaded',
        deviceId: device.id,
        batchId: device.batchId,
        origin: '10.0.0.7',
        details: { n: 1 },
      },
    });
    await db.prisma.idempotencyRecord.create({
      data: {
        apiKeyId: key.id,
        key: 'idem-1',
        requestHash: 'abc',
        responseStatus: 202,
        responseBody: { id: 'x' },
      },
    });
    const loaded = await db.prisma.station.findUniqueOrThrow({
      where: { name: 'line-3-a' },
      include: { batches: true, devices: true, apiKeys: { include: { idempotencyRecords: true } } },
    });
    expect(loaded.batches).toHaveLength(1);
    expect(loaded.devices.map((d) => d.serial)).toEqual(['SN-ROUNDTRIP-2']);
    expect(loaded.apiKeys[0]?.idempotencyRecords[0]?.responseBody).toEqual({ id: 'x' });
    expect(typeof event.id).toBe('bigint');
  });

  it('refuses a second ACTIVE certificate for one device, but allows other statuses', async () => {
    const device = await makeDevice('SN-ACTIVE-1');
    const cert = (status: 'ACTIVE' | 'ORPHANED') => ({
      certificateId: randomBytes(32).toString('hex'),
      deviceId: device.id,
      certificatePem: 'pem',
      status,
    });
    await db.prisma.certificate.create({ data: cert('ACTIVE') });
    await db.prisma.certificate.create({ data: cert('ORPHANED') });
    await expect(db.prisma.certificate.create({ data: cert('ACTIVE') })).rejects.toMatchObject({
      code: 'P2002',
    });
    expect(await db.prisma.certificate.count({ where: { deviceId: device.id } })).toBe(2);
  });

  it('refuses a second device with the same serial', async () => {
    await makeDevice('SN-DUP-1');
    await expect(makeDevice('SN-DUP-1')).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  });

  it('keeps the audit log append-only', async () => {
    await db.prisma.auditEvent.create({ data: { actor: 'system', action: 'test' } });
    await expect(db.query(`UPDATE audit_event SET actor = 'someone else'`)).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    expect(await db.prisma.auditEvent.count()).toBeGreaterThan(0);
  });

  it('has no column that could hold a private key or token in plaintext', async () => {
    const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND (column_name LIKE '%key%' OR column_name LIKE '%token%' OR column_name LIKE '%secret%')`,
    );
    const textual = columns.filter(
      (c) =>
        c.data_type === 'text' &&
        !/_(kek_id|algorithm)$/.test(c.column_name) &&
        // Public keys (a station's seal and signing keys, the server's bundle key) are not secrets.
        !/(^|_)public_key$/.test(c.column_name) &&
        !['secret_hash', 'key', 'api_key_id'].includes(c.column_name),
    );
    expect(textual).toEqual([]);
    const sealedColumns = columns.filter((c) => /_(ciphertext|wrapped_key)$/.test(c.column_name));
    // Certificates' private key and token, the server's bundle-signing key: each ciphertext + wrapped key.
    expect(sealedColumns.map((c) => c.data_type)).toEqual(Array(6).fill('bytea'));
  });
});
