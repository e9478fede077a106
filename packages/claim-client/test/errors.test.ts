import { inspect } from 'node:util';
import {
  ClaimRejectedError,
  ClaimTimeoutError,
  reconnectDelayMs,
  type ClaimConnectionPool,
  type ClaimError,
  type PayloadFormat,
} from '../src/index.js';
import { TEMPLATE_NAME, expectRejection, poolFor, startTestEmulator, type TestEmulator } from './helpers.js';

const TIMEOUT_MS = 800;
let emulator: TestEmulator;
let pool: ClaimConnectionPool;
const secrets: string[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  pool = poolFor(emulator, { size: 2, operationTimeoutMs: TIMEOUT_MS });
  await pool.ready();
});

afterEach(async () => {
  emulator.setFaults({});
  emulator.setQuotas('off');
  await pool.ready(5000);
});

afterAll(async () => {
  await pool?.close();
  await emulator?.cleanup();
});

async function newCertificate(format: PayloadFormat) {
  const created = await pool.withLease((lease) => lease.createKeysAndCertificate({ format }));
  secrets.push(created.certificateOwnershipToken, created.privateKey ?? '');
  return created;
}

async function failure(run: Promise<unknown>): Promise<ClaimError> {
  const error = await expectRejection(run);
  errors.push(error);
  return error as ClaimError;
}

describe.each<PayloadFormat>(['json', 'cbor'])('%s', (format) => {
  it('unknown template → permanent ClaimRejectedError with AWS code', async () => {
    const created = await newCertificate(format);
    const error = await failure(
      pool.withLease((lease) =>
        lease.registerThing(
          'no-such-template',
          created.certificateOwnershipToken,
          { SerialNumber: 'X' },
          { format },
        ),
      ),
    );
    expect(error).toBeInstanceOf(ClaimRejectedError);
    expect(error).toMatchObject({
      statusCode: 404,
      errorCode: 'ResourceNotFoundException',
      retryable: false,
      operation: 'RegisterThing',
    });
  });

  it('invalid ownership token → permanent 400', async () => {
    const token = `bogus-token-${format}-0123456789abcdef`;
    secrets.push(token);
    const error = await failure(
      pool.withLease((lease) => lease.registerThing(TEMPLATE_NAME, token, { SerialNumber: 'X' }, { format })),
    );
    expect(error).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidCertificateOwnershipToken',
      retryable: false,
    });
  });

  it('injected 500 → retryable ClaimRejectedError', async () => {
    emulator.setFaults({ errorRate: 1 });
    const error = await failure(pool.withLease((lease) => lease.createKeysAndCertificate({ format })));
    expect(error).toMatchObject({ statusCode: 500, errorCode: 'InternalFailure', retryable: true });
  });

  it('throttled (429 by fault) → retryable', async () => {
    emulator.setFaults({ throttleRate: 1 });
    const error = await failure(pool.withLease((lease) => lease.createKeysAndCertificate({ format })));
    expect(error).toMatchObject({ statusCode: 429, errorCode: 'ThrottlingException', retryable: true });
  });

  it('dropped answer → ClaimTimeoutError within the configured time-out, and the connection is recycled', async () => {
    emulator.setFaults({ dropRate: 1 });
    const lease = await pool.acquire();
    const started = Date.now();
    const error = await failure(lease.createKeysAndCertificate({ format }));
    const elapsed = Date.now() - started;
    lease.release();
    expect(error).toBeInstanceOf(ClaimTimeoutError);
    expect(error.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    // Below the SDK's own operation time-out (ceil(0.8 s) + 1 s = 2 s): our timer fired, with room for a busy CI box.
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 900);
    expect(pool.counts().up).toBe(1);
  });
});

it('account quota exceeded (429) → retryable', async () => {
  emulator.setQuotas({ createKeysAndCertificatePerSecond: 1 });
  const outcomes = await pool.withLease(async (lease) => {
    const results: unknown[] = [];
    for (let i = 0; i < 3; i += 1)
      results.push(await lease.createKeysAndCertificate().catch((error: unknown) => error));
    return results;
  });
  const throttled = outcomes.filter(
    (outcome): outcome is ClaimRejectedError => outcome instanceof ClaimRejectedError,
  );
  expect(throttled.length).toBeGreaterThan(0);
  errors.push(...throttled);
  for (const error of throttled) expect(error).toMatchObject({ statusCode: 429, retryable: true });
});

it('no error message, stack or inspection carries a private key or an ownership token', () => {
  expect(errors.length).toBeGreaterThanOrEqual(10);
  const texts = errors.map(
    (error) =>
      `${String(error)}\n${(error as Error).stack}\n${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}`,
  );
  for (const text of texts) {
    for (const secret of secrets.filter(Boolean)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/PRIVATE KEY/);
  }
});

it('reconnect delay: exponential with jitter, never two CONNECTs of one client id within 1 s', () => {
  const options = { minDelayMs: 100, maxDelayMs: 30_000 };
  expect(reconnectDelayMs(0, 50, options, () => 0)).toBe(950);
  expect(reconnectDelayMs(0, 5000, options, () => 0)).toBe(100);
  expect(reconnectDelayMs(5, 5000, options, () => 1)).toBe(3200);
  expect(reconnectDelayMs(30, 5000, options, () => 1)).toBe(30_000);
  for (let attempt = 0; attempt < 10; attempt += 1) {
    expect(reconnectDelayMs(attempt, 0, options, Math.random)).toBeGreaterThanOrEqual(1000);
  }
});
