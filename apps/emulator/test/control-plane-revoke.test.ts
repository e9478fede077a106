import { stat } from 'node:fs/promises';
import {
  DescribeCertificateCommand,
  UpdateCertificateCommand,
  type CertificateStatus,
} from '@aws-sdk/client-iot';
import {
  claimCredentials,
  closed,
  connectFailure,
  connectMqttJs,
  endClient,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';
import {
  controlPlaneFixture,
  iotClient,
  provisionUnit,
  readControlPlaneFile,
} from './control-plane-client.js';

const cp = controlPlaneFixture();

/** Rejects if `promise` has not settled within `ms` (a bounded wait for a positive signal). */
const within = <T>(ms: number, promise: Promise<T>, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref(),
    ),
  ]);

async function setStatus(target: TestEmulator, certificateId: string, newStatus: CertificateStatus) {
  const iot = await iotClient(target);
  try {
    await iot.send(new UpdateCertificateCommand({ certificateId, newStatus }));
  } finally {
    iot.destroy();
  }
}

describe.each(['REVOKED', 'INACTIVE'] as const)('UpdateCertificate(%s)', (status) => {
  it("closes the device's live connection at once and refuses its next CONNECT", async () => {
    const unit = await provisionUnit(cp.claim, `CP-${status}`);
    const device = { cert: unit.certificatePem, key: unit.privateKey };
    const live = await connectMqttJs(cp.emulator, device, { clientId: unit.thingName });
    const disconnected = closed(live);
    await setStatus(cp.emulator, unit.certificateId, status);
    await within(5000, disconnected, 'the device connection was not closed');
    live.end(true);
    expect(
      cp.emulator.registry.certificates().find((c) => c.certificateId === unit.certificateId)?.status,
    ).toBe(status);
    const refused = await connectFailure(cp.emulator, device, { clientId: unit.thingName });
    expect(refused.message).toMatch(/Not authorized|closed before CONNACK/i);
  });
});

it('an INACTIVE certificate made ACTIVE again connects', async () => {
  const unit = await provisionUnit(cp.claim, 'CP-REACTIVATE');
  const device = { cert: unit.certificatePem, key: unit.privateKey };
  await setStatus(cp.emulator, unit.certificateId, 'INACTIVE');
  await connectFailure(cp.emulator, device, { clientId: unit.thingName });
  await setStatus(cp.emulator, unit.certificateId, 'ACTIVE');
  await endClient(await connectMqttJs(cp.emulator, device, { clientId: unit.thingName }));
});

it('status changes and the access key survive a restart; the client file is 0600', async () => {
  const first = await startTestEmulator();
  const firstClaim = await connectMqttJs(first, await claimCredentials(first));
  const unit = await provisionUnit(firstClaim, 'CP-RESTART');
  await endClient(firstClaim);
  await setStatus(first, unit.certificateId, 'INACTIVE');
  const key = await readControlPlaneFile(first);
  expect(key).toEqual({
    endpoint: first.controlPlaneUrl,
    region: 'us-east-1',
    accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/),
    secretAccessKey: expect.any(String),
  });
  expect((await stat(first.files.controlPlanePath)).mode & 0o777).toBe(0o600);
  await first.stop();

  const second = await startTestEmulator({}, first.stateDir);
  try {
    const after = await readControlPlaneFile(second);
    expect({ accessKeyId: after.accessKeyId, secretAccessKey: after.secretAccessKey }).toEqual({
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
    });
    const iot = await iotClient(second);
    const { certificateDescription } = await iot.send(
      new DescribeCertificateCommand({ certificateId: unit.certificateId }),
    );
    iot.destroy();
    expect(certificateDescription?.status).toBe('INACTIVE');
    expect(certificateDescription!.lastModifiedDate!.getTime()).toBeGreaterThan(
      certificateDescription!.creationDate!.getTime() - 1,
    );
  } finally {
    await second.cleanup();
  }
});
