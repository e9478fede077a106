import { probeDeviceConnect } from '../src/index.js';
import { TEMPLATE_NAME, poolFor, quietLogger, startTestEmulator, type TestEmulator } from './helpers.js';
import type { ClaimConnectionPool } from '../src/index.js';

let emulator: TestEmulator;
let pool: ClaimConnectionPool;

beforeAll(async () => {
  emulator = await startTestEmulator();
  pool = poolFor(emulator, { size: 1 });
  await pool.ready();
});

afterAll(async () => {
  await pool?.close();
  await emulator?.cleanup();
});

const probe = (certificatePem: string, privateKeyPem: string, clientId: string) =>
  probeDeviceConnect({
    host: emulator.host,
    port: emulator.port,
    caPath: emulator.files.caPath,
    certificatePem,
    privateKeyPem,
    clientId,
    timeoutMs: 3_000,
    logger: quietLogger(),
  });

it('is refused for a certificate not yet registered, connects once registered, is refused once revoked', async () => {
  const created = await pool.withLease((lease) => lease.createKeysAndCertificate({ format: 'json' }));
  const key = created.privateKey!;

  // PENDING_ACTIVATION: AWS refuses the CONNECT; for the worker that proves nothing either way.
  const pending = await probe(created.certificatePem, key, 'PROBE-1');
  expect(pending.outcome).toBe('refused');

  await pool.withLease((lease) =>
    lease.registerThing(
      TEMPLATE_NAME,
      created.certificateOwnershipToken,
      { SerialNumber: 'PROBE-1' },
      { format: 'json' },
    ),
  );
  expect(await probe(created.certificatePem, key, 'PROBE-1')).toEqual({ outcome: 'connected' });

  // The admin API changes state only on a POST with a JSON body.
  const revoked = await fetch(`${emulator.adminUrl}/certificates/${created.certificateId}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(revoked.status).toBeLessThan(300);
  expect((await probe(created.certificatePem, key, 'PROBE-1')).outcome).toBe('refused');
});
