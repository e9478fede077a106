import { loadConfig, claimSchema } from '@claimline/config';
import {
  createClaimClient,
  generateKeyAndCsr,
  type ClaimConnectionPool,
  type CsrKeyAlgorithm,
  type PayloadFormat,
} from '../src/index.js';
import {
  TEMPLATE_NAME,
  certificateMatchesKey,
  poolFor,
  quietLogger,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';

let emulator: TestEmulator;
let pool: ClaimConnectionPool;

beforeAll(async () => {
  emulator = await startTestEmulator();
  pool = poolFor(emulator, { size: 2 });
  await pool.ready();
});

afterAll(async () => {
  await pool?.close();
  await emulator?.cleanup();
});

function expectActiveThing(serial: string, certificateId: string) {
  const thing = emulator.registry.things().find((candidate) => candidate.thingName === serial);
  expect(thing?.certificateIds).toContain(certificateId);
  const certificate = emulator.registry
    .certificates()
    .find((candidate) => candidate.certificateId === certificateId);
  expect(certificate?.status).toBe('ACTIVE');
}

describe.each<PayloadFormat>(['json', 'cbor'])('%s', (format) => {
  it('CreateKeysAndCertificate → RegisterThing: the key matches the certificate and the thing is ACTIVE', async () => {
    const serial = `KEYS-${format}`;
    const { created, registered } = await pool.withLease(async (lease) => {
      const created = await lease.createKeysAndCertificate({ format });
      const registered = await lease.registerThing(
        TEMPLATE_NAME,
        created.certificateOwnershipToken,
        { SerialNumber: serial },
        { format },
      );
      return { created, registered };
    });
    expect(created.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(certificateMatchesKey(created.certificatePem, created.privateKey ?? '')).toBe(true);
    expect(registered).toEqual({ thingName: serial, deviceConfiguration: { serial } });
    expectActiveThing(serial, created.certificateId);
  });

  it.each<CsrKeyAlgorithm>(['ec-p256', 'rsa-2048'])('CreateCertificateFromCsr with %s', async (algorithm) => {
    const serial = `CSR-${format}-${algorithm}`;
    const { privateKeyPem, csrPem } = await generateKeyAndCsr(serial, algorithm);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const { created, registered } = await pool.withLease(async (lease) => {
      const created = await lease.createCertificateFromCsr(csrPem, { format });
      const registered = await lease.registerThing(
        TEMPLATE_NAME,
        created.certificateOwnershipToken,
        { SerialNumber: serial },
        { format },
      );
      return { created, registered };
    });
    expect(created.privateKey).toBeUndefined();
    expect(certificateMatchesKey(created.certificatePem, privateKeyPem)).toBe(true);
    expect(registered.thingName).toBe(serial);
    expectActiveThing(serial, created.certificateId);
  });
});

it('createClaimClient works from the claim environment schema alone', async () => {
  const config = loadConfig('claim', claimSchema, {
    AWS_IOT_ENDPOINT: emulator.host,
    AWS_IOT_PORT: String(emulator.port),
    AWS_IOT_CA_PATH: emulator.files.caPath,
    AWS_IOT_CLAIM_CERT_PATH: emulator.files.claimCertPath,
    AWS_IOT_CLAIM_KEY_PATH: emulator.files.claimKeyPath,
    CLAIM_CLIENT_ID_PREFIX: 'fromconfig',
    CLAIM_POOL_SIZE: '1',
  });
  const client = createClaimClient(config, quietLogger());
  try {
    expect(client.clientIds).toEqual([
      expect.stringMatching(new RegExp(`^fromconfig-[A-Za-z0-9_-]+-${process.pid}-1$`)),
    ]);
    const created = await client.withLease((lease) => lease.createKeysAndCertificate());
    expect(created.certificatePem).toMatch(/BEGIN CERTIFICATE/);
  } finally {
    await client.close();
  }
});

it('createClaimClient names the variable of a missing file', () => {
  const config = loadConfig('claim', claimSchema, {
    AWS_IOT_CLAIM_KEY_PATH: '/nonexistent/claim.key',
    AWS_IOT_CA_PATH: emulator.files.caPath,
    AWS_IOT_CLAIM_CERT_PATH: emulator.files.claimCertPath,
  });
  expect(() => createClaimClient(config, quietLogger())).toThrow(/AWS_IOT_CLAIM_KEY_PATH/);
});
