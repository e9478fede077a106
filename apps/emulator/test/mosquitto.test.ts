import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const run = promisify(execFile);
const hasMosquitto = ['/usr/bin/mosquitto_pub', '/usr/local/bin/mosquitto_pub'].some((path) =>
  existsSync(path),
);
if (!hasMosquitto)
  console.warn(
    'mosquitto_pub not found: skipping the mosquitto smoke test (apt-get install -y mosquitto-clients)',
  );
const itIfMosquitto = hasMosquitto ? it : it.skip;

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.cleanup();
});

itIfMosquitto(
  'mosquitto_rr: CreateKeysAndCertificate over MQTT 5 with ALPN x-amzn-mqtt-ca; mosquitto_pub to a forbidden topic is cut off',
  async () => {
    const tls = [
      '-h',
      emulator.host,
      '-p',
      String(emulator.port),
      '--cafile',
      emulator.files.caPath,
      '--cert',
      emulator.files.claimCertPath,
      '--key',
      emulator.files.claimKeyPath,
    ];
    // mosquitto_rr subscribes to the response topic and publishes the request on one connection, as AWS requires.
    const { stdout } = await run('mosquitto_rr', [
      ...tls,
      '--tls-alpn',
      'x-amzn-mqtt-ca',
      '-i',
      'mosq-rr',
      '-q',
      '1',
      '-W',
      '10',
      '-t',
      '$aws/certificates/create/json',
      '-e',
      '$aws/certificates/create/json/accepted',
      '-m',
      '{}',
    ]);
    const body = JSON.parse(stdout) as Record<string, string>;
    expect(body.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(body.privateKey).toContain('PRIVATE KEY');
    const forbidden = await run('mosquitto_pub', [
      ...tls,
      '-i',
      'mosq-forbidden',
      '-q',
      '1',
      '-t',
      'devices/x',
      '-m',
      'x',
    ]).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(forbidden).toBeDefined();
  },
);
