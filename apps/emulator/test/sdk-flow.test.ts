import { readFile } from 'node:fs/promises';
import { mqtt, mqtt5 } from 'aws-crt';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { generateCsr } from './csr.js';
import { connectSdkMqtt311, connectSdkMqtt5 } from './sdk.js';

let emulator: TestEmulator;
let claimCert: string;
let claimKey: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  claimCert = await readFile(emulator.files.claimCertPath, 'utf8');
  claimKey = await readFile(emulator.files.claimKeyPath, 'utf8');
});
afterAll(async () => {
  await emulator.cleanup();
});

const connectors = {
  mqtt5: connectSdkMqtt5,
  mqtt311: connectSdkMqtt311,
} as const;

async function publishAsDevice(
  protocol: keyof typeof connectors,
  cert: string,
  key: string,
  serial: string,
): Promise<void> {
  // The claimline-device policy: connect as the thing name, publish under claimline/<thing>/.
  const thingName = `cl-${serial}`;
  if (protocol === 'mqtt5') {
    const device = await connectSdkMqtt5(emulator, cert, key, thingName);
    try {
      const result = await device.client.publish({
        topicName: `claimline/${thingName}/hello`,
        qos: mqtt5.QoS.AtLeastOnce,
        payload: 'hi',
      });
      expect((result as mqtt5.PubackPacket | undefined)?.reasonCode ?? 0).toBe(0);
    } finally {
      await device.close();
    }
  } else {
    const device = await connectSdkMqtt311(emulator, cert, key, thingName);
    try {
      await device.connection.publish(`claimline/${thingName}/hello`, 'hi', mqtt.QoS.AtLeastOnce);
    } finally {
      await device.close();
    }
  }
}

describe.each(Object.keys(connectors) as (keyof typeof connectors)[])(
  'IotIdentityClientv2 over %s',
  (protocol) => {
    it('CreateKeysAndCertificate → RegisterThing → the device connects and publishes', async () => {
      const claim = await connectors[protocol](emulator, claimCert, claimKey);
      const serial = `SDK-${protocol}-keys`;
      try {
        const created = await claim.identity.createKeysAndCertificate({});
        expect(created.certificateId).toMatch(/^[0-9a-f]{64}$/);
        const registered = await claim.identity.registerThing({
          templateName: 'claimline-default',
          certificateOwnershipToken: created.certificateOwnershipToken!,
          parameters: { SerialNumber: serial },
        });
        expect(registered).toEqual({
          thingName: `cl-${serial}`,
          deviceConfiguration: { serial, model: 'cl-1' },
        });
        await publishAsDevice(protocol, created.certificatePem!, created.privateKey!, serial);
      } finally {
        await claim.close();
      }
    });

    it('CreateCertificateFromCsr → RegisterThing → the device connects and publishes', async () => {
      const claim = await connectors[protocol](emulator, claimCert, claimKey);
      const serial = `SDK-${protocol}-csr`;
      try {
        const { csrPem, keyPem } = await generateCsr('ec');
        const created = await claim.identity.createCertificateFromCsr({ certificateSigningRequest: csrPem });
        const registered = await claim.identity.registerThing({
          templateName: 'claimline-default',
          certificateOwnershipToken: created.certificateOwnershipToken!,
          parameters: { SerialNumber: serial },
        });
        expect(registered.thingName).toBe(`cl-${serial}`);
        await publishAsDevice(protocol, created.certificatePem!, keyPem, serial);
      } finally {
        await claim.close();
      }
    });

    it('a rejection reaches the SDK as a modeled error', async () => {
      const claim = await connectors[protocol](emulator, claimCert, claimKey);
      try {
        const error = await claim.identity
          .registerThing({
            templateName: 'claimline-default',
            certificateOwnershipToken: 'nope',
            parameters: {},
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(JSON.stringify(error)).toContain('InvalidCertificateOwnershipToken');
      } finally {
        await claim.close();
      }
    });
  },
);

it('RSA keys: CreateKeysAndCertificate returns a PKCS#1 RSA key that works for the device', async () => {
  const rsa = await startTestEmulator({ keyAlgorithm: 'rsa-2048', keyPoolSize: 1 });
  try {
    const claim = await connectSdkMqtt5(
      rsa,
      await readFile(rsa.files.claimCertPath, 'utf8'),
      await readFile(rsa.files.claimKeyPath, 'utf8'),
    );
    try {
      const created = await claim.identity.createKeysAndCertificate({});
      expect(created.privateKey).toContain('-----BEGIN RSA PRIVATE KEY-----');
      await claim.identity.registerThing({
        templateName: 'claimline-default',
        certificateOwnershipToken: created.certificateOwnershipToken!,
        parameters: { SerialNumber: 'RSA-1' },
      });
      const device = await connectSdkMqtt5(rsa, created.certificatePem!, created.privateKey!, 'cl-RSA-1');
      await device.close();
    } finally {
      await claim.close();
    }
  } finally {
    await rsa.cleanup();
  }
});
