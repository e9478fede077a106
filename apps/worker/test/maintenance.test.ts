import { Queue } from 'bullmq';
import { requestRevocation, requeueForReprovision } from '@claimline/device-ledger';
import {
  createRedisConnection,
  enqueueMaintenance,
  enqueueProvisioning,
  JOBS,
  maintenanceJobId,
  QUEUES,
} from '@claimline/jobs';
import { testRedisUrl } from '@claimline/jobs/testing';
import { seedBatch, startHarness, waitFor, waitForSettled, type Harness, type WorkerChild } from './harness';

/**
 * The maintenance queue against the emulator's control plane (docs/worker.md, "The maintenance
 * queue"): revoke (REVOKING → REVOKED; REVOKED at AWS and detached), re-provisioning revokes the old
 * certificate at AWS, orphans deactivated and deleted, keys shredded, retries under AWS throttling, and
 * CONTROL_PLANE=off failing visibly until a worker with a control plane settles it.
 */
jest.setTimeout(240_000);

let h: Harness;
let maintenance: Queue;
let connection: ReturnType<typeof createRedisConnection>;
let worker: WorkerChild;
const who = { actor: 'test:maintenance', origin: null };
const fast = { WORKER_MAINTENANCE_SCAN_INTERVAL_MS: '300' };

beforeAll(async () => {
  h = await startHarness();
  connection = createRedisConnection(testRedisUrl(), 'producer');
  maintenance = new Queue(QUEUES.maintenance, { connection, prefix: h.prefix });
  const { batchId } = await seedBatch(h, { count: 6, serialPrefix: 'MNT' });
  worker = h.spawnWorker(fast);
  await waitForSettled(h, [batchId], 90_000);
});

afterAll(async () => {
  await maintenance?.obliterate({ force: true }).catch(() => undefined);
  await maintenance?.close();
  connection?.disconnect();
  await h?.close();
});

const atEmulator = (certificateId: string) =>
  h.emulator.registry.certificates().find((c) => c.certificateId === certificateId);
const thingOf = (serial: string) =>
  h.emulator.registry.things().find((t) => t.thingName === `unit-${serial}`);
const deviceOf = (serial: string) =>
  h.prisma.device.findUniqueOrThrow({
    where: { serial },
    include: { certificates: true, auditEvents: true },
  });

/** Revoke as the API does: REVOKING (key shredded) in the database, then the job. */
async function revoke(serial: string) {
  const device = await deviceOf(serial);
  const refs = await h.prisma.$transaction((tx) => requestRevocation(tx, who, device.id));
  expect(refs).toHaveLength(1);
  await enqueueMaintenance(
    maintenance,
    refs.map((r) => ({ job: JOBS.revokeCertificate.name, certificateRowId: r.id })),
    { replaceFinished: true },
  );
  return refs[0]!;
}

const settled = (id: string, status: string) =>
  waitFor(
    async () => {
      const row = await h.prisma.certificate.findUniqueOrThrow({ where: { id } });
      return row.status === status && row.awsSettledAt ? row : undefined;
    },
    60_000,
    `certificate ${id} ${status} and settled at AWS`,
  );

it('revoke: REVOKING with its key shredded at once, then REVOKED once AWS shows it REVOKED and detached', async () => {
  const before = await deviceOf('MNT0000');
  expect(atEmulator(before.certificates[0]!.certificateId)?.policyNames).toEqual(['claimline-device']);
  const ref = await revoke('MNT0000');
  const revoking = await h.prisma.certificate.findUniqueOrThrow({ where: { id: ref.id } });
  expect(['REVOKING', 'REVOKED']).toContain(revoking.status);
  expect(revoking.privateKeyCiphertext).toBeNull();
  expect(revoking.privateKeyWrappedKey).toBeNull();

  const done = await settled(ref.id, 'REVOKED');
  expect(done.revokedAt).not.toBeNull();
  const aws = atEmulator(ref.certificateId);
  expect(aws?.status).toBe('REVOKED');
  expect(aws?.policyNames).toEqual([]);
  expect(thingOf('MNT0000')?.certificateIds).toEqual([]);
  const actions = (await deviceOf('MNT0000')).auditEvents.map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['certificate.key-shredded', 'certificate.revoked-at-aws']));
});

it('retries under AWS throttling: UpdateCertificate answered 429 twice, then revoked', async () => {
  h.emulator.throttleControlPlane({ UpdateCertificate: 2 });
  const ref = await revoke('MNT0001');
  await settled(ref.id, 'REVOKED');
  expect(atEmulator(ref.certificateId)?.status).toBe('REVOKED');
  const job = await maintenance.getJob(maintenanceJobId(JOBS.revokeCertificate.name, ref.id));
  expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
});

it('reprovision: the old certificate revoked at AWS, the thing keeps exactly the new one', async () => {
  const device = await deviceOf('MNT0002');
  const old = device.certificates[0]!;
  const refs = await h.prisma.$transaction(async (tx) => {
    const revoking = await requestRevocation(tx, who, device.id);
    expect(await requeueForReprovision(tx, device)).toBe(true);
    return revoking;
  });
  await enqueueMaintenance(
    maintenance,
    refs.map((r) => ({ job: JOBS.revokeCertificate.name, certificateRowId: r.id })),
    { replaceFinished: true },
  );
  await enqueueProvisioning(h.queue, [{ deviceId: device.id, serial: device.serial, generation: 1 }], 0);
  await settled(old.id, 'REVOKED');
  const after = await waitFor(
    async () => {
      const d = await deviceOf('MNT0002');
      return d.state === 'REGISTERED' ? d : undefined;
    },
    60_000,
    'MNT0002 registered again',
  );
  const active = after.certificates.filter((c) => c.status === 'ACTIVE');
  expect(active).toHaveLength(1);
  expect(atEmulator(old.certificateId)?.status).toBe('REVOKED');
  expect(thingOf('MNT0002')?.certificateIds).toEqual([active[0]!.certificateId]);
});

it('an orphan ACTIVE and attached at AWS (the old two-certificate case) is detached, deactivated and deleted', async () => {
  const device = await deviceOf('MNT0003');
  const cert = device.certificates[0]!;
  // The state the database was left in before #12: a certificate AWS registered, listed as an orphan.
  await h.prisma.certificate.update({ where: { id: cert.id }, data: { status: 'ORPHANED' } });
  // No enqueue: the scan finds it (the database is the outbox).
  await settled(cert.id, 'ORPHANED');
  expect(atEmulator(cert.certificateId)).toBeUndefined();
  expect(thingOf('MNT0003')?.certificateIds).toEqual([]);
  const row = await h.prisma.certificate.findUniqueOrThrow({ where: { id: cert.id } });
  expect(row.privateKeyCiphertext).toBeNull();
  const event = (await deviceOf('MNT0003')).auditEvents.find(
    (e) => e.action === 'certificate.orphan-cleaned-at-aws',
  );
  expect(event?.details).toMatchObject({
    awsStatusBefore: 'ACTIVE',
    deleted: true,
    detachedThings: ['unit-MNT0003'],
  });
});

it('CONTROL_PLANE=off: the job fails with ControlPlaneUnavailable (audited), REVOKING stays; a worker with a control plane settles it', async () => {
  await worker.stop();
  worker = h.spawnWorker({ ...fast, CONTROL_PLANE: 'off' });
  const ref = await revoke('MNT0004');
  const jobId = maintenanceJobId(JOBS.revokeCertificate.name, ref.id);
  const failed = await waitFor(
    async () => {
      const job = await maintenance.getJob(jobId);
      return (await job?.getState()) === 'failed' ? job : undefined;
    },
    30_000,
    'the revoke job to fail',
  ).catch((error: unknown) => {
    console.log(worker.output.join(''));
    throw error;
  });
  expect(failed?.failedReason).toMatch(/^ControlPlaneUnavailable: no control plane \(CONTROL_PLANE=off\)/);
  expect(failed?.attemptsMade).toBe(1);
  const row = await h.prisma.certificate.findUniqueOrThrow({ where: { id: ref.id } });
  expect(row.status).toBe('REVOKING');
  expect(atEmulator(ref.certificateId)?.status).toBe('ACTIVE');
  const blocked = (await deviceOf('MNT0004')).auditEvents.find(
    (e) => e.action === 'certificate.aws-clean-up-blocked',
  );
  expect(blocked?.details).toMatchObject({ code: 'ControlPlaneUnavailable', status: 'REVOKING' });

  await worker.stop();
  worker = h.spawnWorker(fast);
  await settled(ref.id, 'REVOKED');
  expect(atEmulator(ref.certificateId)?.status).toBe('REVOKED');
});

it('scheduled reconcile with fixes: a REVOKED certificate still ACTIVE at AWS (revoked before #12) is revoked there', async () => {
  await worker.stop();
  // The scan off: only the scheduled reconcile can find it.
  worker = h.spawnWorker({
    WORKER_MAINTENANCE_SCAN_INTERVAL_MS: '0',
    WORKER_RECONCILE_INTERVAL_MS: '1000',
    WORKER_RECONCILE_FIX: 'true',
  });
  const cert = (await deviceOf('MNT0005')).certificates[0]!;
  await h.prisma.certificate.update({
    where: { id: cert.id },
    data: { status: 'REVOKED', revokedAt: new Date() },
  });
  await settled(cert.id, 'REVOKED');
  expect(atEmulator(cert.certificateId)?.status).toBe('REVOKED');
  const runs = await h.prisma.auditEvent.findMany({ where: { action: 'reconcile.report' } });
  expect(runs.map((r) => r.details)).toContainEqual(
    expect.objectContaining({ scheduled: true, fixable: 1, enqueued: 1 }),
  );
});
