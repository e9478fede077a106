import {
  ControlPlaneError,
  createControlPlane,
  limitsOf,
  openControlPlane,
  type ControlPlane,
} from '../src/index.js';
import { controlPlaneConfig, provisionUnit, startFixture, type Fixture } from './helpers.js';

let f: Fixture;
let cp: ControlPlane;

beforeAll(async () => {
  f = await startFixture();
  const opened = await openControlPlane(
    {
      ...controlPlaneConfig({ CONTROL_PLANE_CLIENT_FILE: f.emulator.files.controlPlanePath }),
      QUEUE_PREFIX: f.prefix,
    },
    f.redis,
  );
  if (!opened.controlPlane) throw new Error(opened.reason);
  cp = opened.controlPlane;
});

afterAll(async () => {
  cp?.close();
  await f?.close();
});

const arnOf = async (certificateId: string) => (await cp.describeCertificate(certificateId))!.certificateArn;
const atEmulator = (certificateId: string) =>
  f.emulator.registry.certificates().find((c) => c.certificateId === certificateId);

it('describes a registered certificate and lists its thing, as the emulator holds them', async () => {
  const { certificateId } = await provisionUnit(f, 'CP-DESCRIBE');
  const description = await cp.describeCertificate(certificateId);
  expect(description).toEqual({
    certificateId,
    certificateArn: expect.stringMatching(new RegExp(`:cert/${certificateId}$`)),
    status: 'ACTIVE',
  });
  expect(await cp.listPrincipalThings(description!.certificateArn)).toEqual(['CP-DESCRIBE']);
  expect(await cp.listThingPrincipals('CP-DESCRIBE')).toEqual([description!.certificateArn]);
  expect(await cp.listAttachedPolicies(description!.certificateArn)).toEqual(['claimline-device']);
  const listed = await cp.listCertificates();
  expect(listed.items.map((c) => c.certificateId)).toContain(certificateId);
});

it('revokes, detaches and deletes at the emulator; a second pass finds nothing left to do', async () => {
  const { certificateId } = await provisionUnit(f, 'CP-REVOKE');
  const arn = await arnOf(certificateId);
  expect(await cp.updateCertificate(certificateId, 'REVOKED')).toBe(true);
  expect(await cp.detachThingPrincipal('CP-REVOKE', arn)).toBe(true);
  expect(await cp.detachPolicy('claimline-device', arn)).toBe(true);
  expect(atEmulator(certificateId)?.status).toBe('REVOKED');
  expect(await cp.listPrincipalThings(arn)).toEqual([]);
  expect(await cp.listAttachedPolicies(arn)).toEqual([]);
  expect(await cp.deleteCertificate(certificateId)).toBe(true);
  expect(atEmulator(certificateId)).toBeUndefined();
  // Idempotent: every step of a retried job answers "already done".
  expect(await cp.describeCertificate(certificateId)).toBeUndefined();
  expect(await cp.updateCertificate(certificateId, 'REVOKED')).toBe(false);
  expect(await cp.deleteCertificate(certificateId)).toBe(false);
  expect(await cp.listPrincipalThings(arn)).toEqual([]);
  expect(await cp.listThingPrincipals('CP-NO-SUCH-THING')).toBeUndefined();
});

it('AWS refusals are typed: deleting an ACTIVE certificate is invalid-state, not retryable', async () => {
  const { certificateId } = await provisionUnit(f, 'CP-ACTIVE');
  const error = await cp.deleteCertificate(certificateId).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ControlPlaneError);
  expect(error).toMatchObject({
    kind: 'invalid-state',
    awsCode: 'CertificateStateException',
    operation: 'DeleteCertificate',
    retryable: false,
  });
  expect(atEmulator(certificateId)?.status).toBe('ACTIVE');
});

it('a wrong secret is "denied"; an endpoint nobody serves is "unavailable" and retryable', async () => {
  const { settings } = await import('../src/settings.js').then(async (m) => ({
    settings: await m.loadControlPlaneSettings(
      controlPlaneConfig({ CONTROL_PLANE_CLIENT_FILE: f.emulator.files.controlPlanePath }),
    ),
  }));
  if (!('source' in settings)) throw new Error('no settings');
  const base = { redis: f.redis, keyPrefix: f.prefix, limits: limitsOf(controlPlaneConfig({})), guardMs: 0 };
  const wrong = createControlPlane({
    ...base,
    settings: { ...settings, credentials: { ...settings.credentials!, secretAccessKey: 'x'.repeat(40) } },
  });
  const down = createControlPlane({
    ...base,
    settings: { ...settings, endpoint: 'https://127.0.0.1:1', timeoutMs: 2000 },
  });
  try {
    await expect(wrong.describeCertificate('a'.repeat(64))).rejects.toMatchObject({
      kind: 'denied',
      retryable: false,
    });
    await expect(down.describeCertificate('a'.repeat(64))).rejects.toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
  } finally {
    wrong.close();
    down.close();
  }
});

it('without the emulator client file, or with CONTROL_PLANE=off, there is no control plane (and no failure)', async () => {
  const missing = await openControlPlane(
    {
      ...controlPlaneConfig({ CONTROL_PLANE_CLIENT_FILE: `${f.stateDir}/nothing.json` }),
      QUEUE_PREFIX: f.prefix,
    },
    f.redis,
  );
  expect(missing.controlPlane).toBeUndefined();
  expect(missing).toMatchObject({ reason: expect.stringContaining('nothing.json') });
  const off = await openControlPlane(
    { ...controlPlaneConfig({ CONTROL_PLANE: 'off' }), QUEUE_PREFIX: f.prefix },
    f.redis,
  );
  expect(off).toEqual({ reason: 'CONTROL_PLANE=off' });
});

it('its own per-operation quota: 2/s over 1000 + 200 ms holds 5 calls for at least two windows', async () => {
  const opened = await openControlPlane(
    {
      ...controlPlaneConfig({
        CONTROL_PLANE_CLIENT_FILE: f.emulator.files.controlPlanePath,
        CONTROL_PLANE_QUOTA_DESCRIBE_CERTIFICATE_PER_SECOND: '2',
        CONTROL_PLANE_QUOTA_GUARD_MS: '200',
      }),
      QUEUE_PREFIX: `${f.prefix}-quota`,
    },
    f.redis,
  );
  const limited = opened.controlPlane!;
  const starts: number[] = [];
  const started = Date.now();
  try {
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        await limited.describeCertificate('b'.repeat(64));
        starts.push(Date.now() - started);
      }),
    );
  } finally {
    limited.close();
  }
  starts.sort((a, b) => a - b);
  // Calls 3 and 4 wait for the first window (1.2 s), call 5 for the second (2.4 s).
  expect(starts[2]).toBeGreaterThanOrEqual(1150);
  expect(starts[4]).toBeGreaterThanOrEqual(2350);
  // Other operations are not held by DescribeCertificate's quota.
  const quick = Date.now();
  await cp.updateCertificate('c'.repeat(64), 'INACTIVE');
  expect(Date.now() - quick).toBeLessThan(1000);
});
