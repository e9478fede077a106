import { Queue } from 'bullmq';
import {
  createRedisConnection,
  enqueueProvisioning,
  jitteredBackoff,
  provisionJobId,
  QUEUES,
  toQueuePriority,
} from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { randomUUID } from 'node:crypto';

const connection = createRedisConnection(testRedisUrl(), 'producer');
const prefix = uniqueQueuePrefix('jobs');
const queue = new Queue(QUEUES.provisioning, { connection, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

describe('enqueueProvisioning', () => {
  it('creates one job per device, keyed by serial and generation, idempotent, and counts only what it added', async () => {
    const devices = Array.from({ length: 2_500 }, (_, i) => ({ deviceId: randomUUID(), serial: `SN${i}` }));
    // 2,500 devices: three addBulk chunks (1,000 + 1,000 + 500), every device counted once.
    expect(await enqueueProvisioning(queue, devices, 50)).toBe(2_500);
    // Again: every id is there already, so nothing is added and nothing is counted.
    expect(await enqueueProvisioning(queue, devices, 50)).toBe(0);
    expect(await queue.count()).toBe(2_500);
    // Three there and two new: two counted.
    const more = [
      ...devices.slice(0, 3),
      ...Array.from({ length: 2 }, (_, i) => ({ deviceId: randomUUID(), serial: `NEW${i}` })),
    ];
    expect(await enqueueProvisioning(queue, more, 50)).toBe(2);
    expect(await queue.count()).toBe(2_502);
    const job = await queue.getJob(provisionJobId('SN7'));
    expect(job?.data).toEqual({ deviceId: devices[7]!.deviceId, serial: 'SN7' });
    expect(job?.opts.priority).toBe(toQueuePriority(50));
  });

  it('enqueues serials with ":" and "%" (BullMQ refuses ":" in a custom job id), each under its own id', async () => {
    const serials = ['C:1', 'C%3A1', 'C:2:3', 'C%1'];
    const devices = serials.map((serial) => ({ deviceId: randomUUID(), serial }));
    await enqueueProvisioning(queue, devices, 0);
    await enqueueProvisioning(queue, devices, 0);
    const ids = serials.map((serial) => provisionJobId(serial));
    expect(new Set(ids).size).toBe(serials.length);
    for (const [i, id] of ids.entries()) expect((await queue.getJob(id))?.data.serial).toBe(serials[i]);
  });

  it('keeps secrets out of job data by construction', async () => {
    await expect(
      enqueueProvisioning(queue, [{ deviceId: 'not-a-uuid', serial: 'SN-X' }], 0),
    ).rejects.toThrow();
  });
});

describe('policy helpers', () => {
  it('maps batch priority so that a higher batch priority runs first', () => {
    expect(toQueuePriority(100)).toBeLessThan(toQueuePriority(0));
    expect(toQueuePriority(0)).toBe(101);
    expect(toQueuePriority(500)).toBe(1);
  });

  it('backs off exponentially with jitter, within bounds', () => {
    expect(jitteredBackoff(1, () => 0)).toBe(500);
    expect(jitteredBackoff(1, () => 1)).toBe(1_000);
    expect(jitteredBackoff(3, () => 1)).toBe(4_000);
    expect(jitteredBackoff(30, () => 1)).toBe(60_000);
  });

  it('gives a re-provisioning a new job id', () => {
    expect(provisionJobId('A1')).toBe('device-A1-g0');
    expect(provisionJobId('A1', 2)).toBe('device-A1-g2');
    expect(provisionJobId('A:1', 2)).toBe('device-A%3A1-g2');
    expect(provisionJobId('A%1')).toBe('device-A%251-g0');
    // Serial `X` at generation 1 and serial `X-g1` at generation 0 once shared `device-X-g1`, so a
    // retry of X was silently dropped while the API answered `enqueued: 1`.
    expect(provisionJobId('X', 1)).not.toBe(provisionJobId('X-g1', 0));
    expect(provisionJobId('X-g1', 2)).not.toBe(provisionJobId('X-g1-g2', 0));
  });
});
