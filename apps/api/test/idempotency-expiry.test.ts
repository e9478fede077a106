import request from 'supertest';
import { deleteExpiredIdempotencyRecords, startIdempotencySweep } from '../src/services/idempotency.js';
import { batchBody, startTestApi, type TestApi } from './helpers.js';
import { createLogger } from '@claimline/logger';

// Issue 15: idempotency records never expired. They now live API_IDEMPOTENCY_TTL_SECONDS (default 24 h).
let api: TestApi;
const TTL = 3_600;

beforeAll(async () => {
  api = await startTestApi({ API_IDEMPOTENCY_TTL_SECONDS: String(TTL) });
});

afterAll(async () => {
  await api.close();
});

const post = (key: string, body: object) =>
  request(api.app).post('/v1/batches').set(api.auth(api.keys.mes)).set('Idempotency-Key', key).send(body);

/** Moves a record's creation back in time, as if it had been written `seconds` ago. */
const age = (key: string, seconds: number) =>
  api.db.prisma.$executeRawUnsafe(
    `UPDATE idempotency_record SET created_at = now() - make_interval(secs => $2) WHERE key = $1`,
    key,
    seconds,
  );

describe('idempotency records expire', () => {
  it('replays within the time-to-live, and treats an expired key as new', async () => {
    const first = await post('exp-1', batchBody(['EXP-1']));
    expect(first.status).toBe(202);
    await age('exp-1', TTL - 60);
    const replay = await post('exp-1', batchBody(['EXP-1']));
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);

    await age('exp-1', TTL + 1);
    // Expired: the same key with another body is a new request, not IDEMPOTENCY_KEY_REUSED.
    const fresh = await post('exp-1', batchBody(['EXP-2']));
    expect(fresh.status).toBe(202);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.body.id).not.toBe(first.body.id);
    const again = await post('exp-1', batchBody(['EXP-2']));
    expect(again.body.id).toBe(fresh.body.id);
  });

  it('the sweep deletes expired records and keeps live ones', async () => {
    await post('sweep-old', batchBody(['SW-1']));
    await post('sweep-new', batchBody(['SW-2']));
    await age('sweep-old', TTL + 5);
    expect(await deleteExpiredIdempotencyRecords(api.db.prisma, TTL)).toBe(1);
    const keys = (await api.db.prisma.idempotencyRecord.findMany({ select: { key: true } })).map(
      (r) => r.key,
    );
    expect(keys).toContain('sweep-new');
    expect(keys).not.toContain('sweep-old');
  });

  it('runs the sweep on a timer', async () => {
    await post('timer-old', batchBody(['TM-1']));
    await age('timer-old', TTL + 5);
    const sweep = startIdempotencySweep(
      api.db.prisma,
      createLogger({ name: 't', level: 'silent' }),
      TTL,
      0.05,
    );
    try {
      const deadline = Date.now() + 5_000;
      while ((await api.db.prisma.idempotencyRecord.count({ where: { key: 'timer-old' } })) > 0) {
        if (Date.now() > deadline) throw new Error('the sweep did not delete the expired record within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      sweep.stop();
    }
  });
});
