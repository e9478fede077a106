import {
  startHarness,
  seedBatch,
  testTemplate,
  TEST_TEMPLATE,
  waitForSettled,
  type Harness,
} from './harness';

/**
 * WORKER_VERIFY_CONNECT (seed step 3, per unit): after RegisterThing the unit's certificate connects
 * once as its thing; a unit whose template policy does not let it connect ends VERIFY_FAILED.
 */

const DENY_CONNECT = 'claimline-test-deny-connect';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    templates: {
      [TEST_TEMPLATE]: testTemplate,
      // Everything like the test template, but its device policy refuses every CONNECT.
      [DENY_CONNECT]: {
        ...testTemplate,
        Resources: {
          ...testTemplate.Resources,
          policy: {
            Type: 'AWS::IoT::Policy',
            Properties: {
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Deny', Action: 'iot:Connect', Resource: '*' }],
              },
            },
          },
        },
      },
    },
  });
});

afterAll(async () => {
  await h?.close();
});

it('verifies each unit with one CONNECT as its thing before it is REGISTERED', async () => {
  const { batchId } = await seedBatch(h, { count: 3, serialPrefix: 'VOK' });
  const worker = h.spawnWorker({ WORKER_VERIFY_CONNECT: 'true' });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();
  const devices = await h.prisma.device.findMany({
    where: { batchId },
    include: { auditEvents: { orderBy: { id: 'asc' } }, certificates: true },
  });
  for (const device of devices) {
    expect([device.serial, device.state]).toEqual([device.serial, 'REGISTERED']);
    const actions = device.auditEvents.map((e) => e.action);
    expect(actions.slice(-2)).toEqual(['device.registered', 'device.verified']);
    expect(device.auditEvents.at(-1)?.details).toEqual({ connected: true, evidence: 'connect' });
  }
});

it('ends a unit whose policy refuses the connect VERIFY_FAILED, with the reason, never REGISTERED', async () => {
  const { batchId, serials } = await seedBatch(h, {
    count: 2,
    serialPrefix: 'VNO',
    templateName: DENY_CONNECT,
  });
  const worker = h.spawnWorker({ WORKER_VERIFY_CONNECT: 'true' });
  await waitForSettled(h, [batchId], 60_000);
  await worker.stop();
  const devices = await h.prisma.device.findMany({
    where: { batchId },
    include: { certificates: true, auditEvents: true },
  });
  expect(devices.map((d) => d.serial).sort()).toEqual(serials);
  for (const device of devices) {
    expect(device.state).toBe('VERIFY_FAILED');
    expect(device.lastErrorCode).toBe('VerifyConnectRefused');
    expect(device.lastErrorMessage).toContain(`connect as unit-${device.serial}`);
    expect(device.verifyFailedAt).not.toBeNull();
    // Registered at AWS all the same: the certificate is ACTIVE, for an operator to revoke or re-provision.
    expect(device.certificates.map((c) => c.status)).toEqual(['ACTIVE']);
    expect(device.auditEvents.map((e) => e.action)).toContain('device.verify-failed');
    expect(device.auditEvents.map((e) => e.action)).not.toContain('device.verified');
  }
  expect((await h.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).finishedAt).not.toBeNull();
});
