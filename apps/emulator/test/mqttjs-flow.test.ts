import {
  claimCredentials,
  connectMqttJs,
  endClient,
  request,
  startTestEmulator,
  type Format,
  type TestEmulator,
} from './helpers.js';
import { generateCsr } from './csr.js';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.cleanup();
});

afterAll(() => {
  // The flows above ran with the emulator logging at trace level: no key or token may appear.
  const logged = emulator.logs.join('');
  expect(logged).toContain('provisioning request');
  expect(logged).not.toContain('PRIVATE KEY');
  expect(logged).not.toMatch(/certificateOwnershipToken":"[A-Za-z0-9_-]{20,}/);
});

describe.each(['json', 'cbor'] as Format[])('claim flow with MQTT.js over %s', (format) => {
  it('CreateKeysAndCertificate, RegisterThing, then the device connects and publishes', async () => {
    const claim = await connectMqttJs(emulator, await claimCredentials(emulator));
    try {
      const created = await request(claim, `$aws/certificates/create/${format}`, {}, format);
      expect(created.outcome).toBe('accepted');
      const { certificateId, certificatePem, privateKey, certificateOwnershipToken } = created.body as Record<
        string,
        string
      >;
      expect(certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(privateKey).toContain('-----BEGIN EC PRIVATE KEY-----');
      expect(emulator.registry.certificates().find((c) => c.certificateId === certificateId)?.status).toBe(
        'PENDING_ACTIVATION',
      );
      expect(JSON.stringify(emulator.registry.certificates())).not.toContain('PRIVATE KEY');

      const serial = `SN-${format}-1`;
      const registered = await request(
        claim,
        `$aws/provisioning-templates/claimline-default/provision/${format}`,
        { certificateOwnershipToken, parameters: { SerialNumber: serial } },
        format,
      );
      expect(registered).toEqual({
        outcome: 'accepted',
        body: { thingName: `cl-${serial}`, deviceConfiguration: { serial, model: 'cl-1' } },
      });
      const cert = emulator.registry.certificates().find((c) => c.certificateId === certificateId);
      expect(cert).toMatchObject({
        status: 'ACTIVE',
        thingName: `cl-${serial}`,
        policyNames: ['claimline-device'],
      });

      // The claimline-device policy: connect as the thing name, use claimline/<thing>/….
      const thingName = `cl-${serial}`;
      const device = await connectMqttJs(
        emulator,
        { cert: certificatePem!, key: privateKey! },
        { clientId: thingName },
      );
      await device.subscribeAsync(`claimline/${thingName}/#`, { qos: 1 });
      const got = new Promise<string>((resolve) =>
        device.once('message', (_topic, payload) => resolve(payload.toString())),
      );
      await device.publishAsync(`claimline/${thingName}/hello`, 'hi', { qos: 1 });
      expect(await got).toBe('hi');
      await endClient(device);
    } finally {
      await endClient(claim);
    }
  });

  it('CreateCertificateFromCsr then RegisterThing', async () => {
    const claim = await connectMqttJs(emulator, await claimCredentials(emulator));
    try {
      const { csrPem } = await generateCsr('ec');
      const created = await request(
        claim,
        `$aws/certificates/create-from-csr/${format}`,
        { certificateSigningRequest: csrPem },
        format,
      );
      expect(created.outcome).toBe('accepted');
      expect(created.body).not.toHaveProperty('privateKey');
      const registered = await request(
        claim,
        `$aws/provisioning-templates/claimline-default/provision/${format}`,
        {
          certificateOwnershipToken: created.body.certificateOwnershipToken,
          parameters: { SerialNumber: `SN-csr-${format}` },
        },
        format,
      );
      expect(registered.body.thingName).toBe(`cl-SN-csr-${format}`);
    } finally {
      await endClient(claim);
    }
  });
});
