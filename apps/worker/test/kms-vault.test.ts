import { startFakeKms, type FakeKms } from '@claimline/vault/testing';
import { seedBatch, startHarness, waitForSettled, type Harness } from './harness';

/**
 * The worker with the vault in AWS KMS (the fake KMS speaking its wire protocol to the real SDK): each
 * unit's key and ownership token are sealed with KMS, and a freshly issued token is sent to RegisterThing
 * from memory, not opened again (no Decrypt per unit: KMS bills and throttles each call).
 */
let h: Harness;
let kms: FakeKms;

beforeAll(async () => {
  h = await startHarness();
  kms = await startFakeKms();
});

afterAll(async () => {
  await h?.close();
  await kms?.close();
});

it('provisions with KMS envelope sealing and no Decrypt for a unit registered in one go', async () => {
  const { batchId } = await seedBatch(h, { count: 12, serialPrefix: 'KMS' });
  h.spawnWorker({
    VAULT_PROVIDER: 'aws-kms',
    VAULT_KMS_KEY_ID: kms.keyArns[0],
    VAULT_KMS_ENDPOINT: kms.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAFAKEVAULTTEST',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
  });
  await waitForSettled(h, [batchId], 60_000);

  const devices = await h.prisma.device.findMany({ where: { batchId }, include: { certificates: true } });
  expect(devices.map((d) => d.state)).toEqual(Array(12).fill('REGISTERED'));
  for (const device of devices)
    expect(device.certificates[0]!.privateKeyKekId).toBe(`aws-kms:${kms.keyArns[0]}`);
  const operations = kms.calls.filter((call) => call.status === 200).map((call) => call.operation);
  expect(operations.filter((op) => op === 'Encrypt').length).toBeGreaterThanOrEqual(12);
  expect(operations.filter((op) => op === 'Decrypt')).toEqual([]);
});
