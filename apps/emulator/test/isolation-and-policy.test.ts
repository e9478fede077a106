import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import * as tls from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import {
  adminJson,
  claimCredentials,
  closed,
  connectFailure,
  connectMqttJs,
  connectWithConnack,
  endClient,
  provision,
  request,
  answerDelivered,
  startTestEmulator,
  subscribeGranted,
  type Credentials,
  type TestEmulator,
} from './helpers.js';

let emulator: TestEmulator;
let claim: Credentials;

beforeAll(async () => {
  emulator = await startTestEmulator({
    templates: {
      pending: {
        Parameters: { SerialNumber: { Type: 'String' } },
        Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } } },
      },
      'claimline-default': {
        Parameters: { SerialNumber: { Type: 'String' } },
        Resources: {
          thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } },
          cert: {
            Type: 'AWS::IoT::Certificate',
            Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
          },
          policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'claimline-device' } },
        },
      },
    },
  });
  claim = await claimCredentials(emulator);
});
afterAll(async () => {
  await emulator.cleanup();
});

describe('isolation', () => {
  it('two claim clients at once see only their own responses; an eavesdropper sees nothing', async () => {
    const [a, b, spy] = await Promise.all([
      connectMqttJs(emulator, claim),
      connectMqttJs(emulator, claim),
      connectMqttJs(emulator, claim),
    ]);
    const seen = new Map<MqttClient, string[]>([
      [a, []],
      [b, []],
      [spy, []],
    ]);
    for (const [client, list] of seen) client.on('message', (topic) => list.push(topic));
    const granted = await subscribeGranted(spy, [
      '$aws/certificates/create/#',
      '$aws/provisioning-templates/#',
      '$aws/#',
    ]);
    // AWS's claim policy: topicfilter/$aws/provisioning-templates/*/provision/* does not cover `…/#`.
    expect(granted).toEqual([1, 128, 128]);
    await Promise.all([
      a.subscribeAsync('$aws/certificates/create/json/+'),
      b.subscribeAsync('$aws/certificates/create/json/accepted'),
    ]);

    const [ra, rb] = await Promise.all([
      request(a, '$aws/certificates/create/json', {}),
      request(b, '$aws/certificates/create/json', {}),
    ]);
    expect(ra.body.certificateId).not.toEqual(rb.body.certificateId);
    await Promise.all([
      provision(a, 'claimline-default', { SerialNumber: 'ISO-A' }),
      provision(b, 'claimline-default', { SerialNumber: 'ISO-B' }),
    ]);
    // A barrier: the spy's own request. Its answer is written to the spy's connection after anything
    // the emulator could have leaked to it while answering a and b, so once it is here, look.
    expect((await request(spy, '$aws/certificates/create/json', {})).outcome).toBe('accepted');
    expect(seen.get(spy)).toEqual(['$aws/certificates/create/json/accepted']);
    // Each requester got exactly one answer per own request (3 requests each: create, create, register).
    expect(seen.get(a)!.filter((t) => t.endsWith('/accepted'))).toHaveLength(3);
    expect(seen.get(b)!.filter((t) => t.endsWith('/accepted'))).toHaveLength(3);
    await Promise.all([a, b, spy].map(endClient));
  });

  it('a requester not subscribed to the response topic gets nothing', async () => {
    const client = await connectMqttJs(emulator, claim);
    const got: string[] = [];
    client.on('message', (topic) => got.push(topic));
    await client.publishAsync('$aws/certificates/create/json', '{}', { qos: 1 });
    expect(await answerDelivered(emulator, client, 'CreateKeysAndCertificate')).toBe(false);
    expect(got).toEqual([]);
    await endClient(client);
  });
});

describe('connections', () => {
  it('a second CONNECT with the same client id disconnects the first', async () => {
    const first = await connectMqttJs(emulator, claim, { clientId: 'takeover-1' });
    const firstClosed = closed(first);
    const second = await connectMqttJs(emulator, claim, { clientId: 'takeover-1' });
    await firstClosed;
    expect(second.connected).toBe(true);
    await endClient(second);
    await endClient(first);
  });

  it('MQTT 5: an empty client id gets an assigned identifier', async () => {
    const { client, connack } = await connectWithConnack(emulator, claim, {
      clientId: '',
      protocolVersion: 5,
      clean: true,
    });
    expect(connack.properties?.assignedClientIdentifier).toMatch(/^emulator-/);
    await endClient(client);
  });

  it('a silent connection is closed after 1.5 × keepalive', async () => {
    const socket = tls.connect({
      host: emulator.host,
      port: emulator.port,
      ca: await readFile(emulator.files.caPath),
      cert: claim.cert,
      key: claim.key,
    });
    await once(socket, 'secureConnect');
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'silent-1',
        keepalive: 1,
      }),
    );
    const started = Date.now();
    socket.resume();
    await once(socket, 'close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('after UNSUBSCRIBE the requester receives no answer', async () => {
    const client = await connectMqttJs(emulator, claim);
    await client.subscribeAsync('$aws/certificates/create/json/+');
    await client.unsubscribeAsync('$aws/certificates/create/json/+');
    const got: string[] = [];
    client.on('message', (topic) => got.push(topic));
    await client.publishAsync('$aws/certificates/create/json', '{}', { qos: 1 });
    expect(await answerDelivered(emulator, client, 'CreateKeysAndCertificate')).toBe(false);
    expect(got).toEqual([]);
    await endClient(client);
  });

  it('a connection without a client certificate fails the TLS handshake', async () => {
    const error = await connectFailure(emulator, { cert: '', key: '' });
    expect(error.message).not.toBe('connection was accepted');
  });
});

describe('claim policy', () => {
  it('a forbidden SUBSCRIBE gets a failure code (3.1.1 and 5)', async () => {
    const v4 = await connectMqttJs(emulator, claim);
    expect(await subscribeGranted(v4, 'devices/#')).toEqual([128]);
    const v5 = await connectMqttJs(emulator, claim, { protocolVersion: 5 });
    expect(
      await subscribeGranted(v5, [
        'devices/#',
        '$aws/things/x/shadow/get',
        '$aws/certificates/create/json/+',
      ]),
    ).toEqual([0x87, 0x87, 1]);
    await Promise.all([endClient(v4), endClient(v5)]);
  });

  it('a forbidden PUBLISH closes the connection', async () => {
    const client = await connectMqttJs(emulator, claim);
    const wasClosed = closed(client);
    client.publish('devices/x/hello', 'hi', { qos: 0 });
    await wasClosed;
    await endClient(client);
  });
});

describe('device certificates', () => {
  it('PENDING_ACTIVATION is refused; ACTIVE connects; REVOKED (admin API) is refused and disconnected', async () => {
    const client = await connectMqttJs(emulator, claim);
    const pending = await provision(client, 'pending', { SerialNumber: 'PENDING-1' });
    expect(pending.registered.outcome).toBe('accepted');
    const pendingCreds = { cert: pending.created.certificatePem!, key: pending.created.privateKey! };
    const refused = await connectFailure(emulator, pendingCreds);
    expect(refused.message).toMatch(/Not authorized/i);
    const refused5 = await connectFailure(emulator, pendingCreds, { protocolVersion: 5 });
    expect(refused5.message).toMatch(/Not authorized/i);

    const active = await provision(client, 'claimline-default', { SerialNumber: 'ACTIVE-1' });
    await endClient(client);
    const activeCreds = { cert: active.created.certificatePem!, key: active.created.privateKey! };
    const device = await connectMqttJs(emulator, activeCreds, { clientId: 'ACTIVE-1' });
    expect(
      await subscribeGranted(device, ['$aws/certificates/create/json/+', 'claimline/ACTIVE-1/#']),
    ).toEqual([128, 1]);
    const wasClosed = closed(device);
    const revoked = await adminJson(emulator, `/certificates/${active.created.certificateId}/revoke`, {
      method: 'POST',
    });
    expect(revoked).toMatchObject({ status: 200, body: { status: 'REVOKED' } });
    await wasClosed;
    await endClient(device);
    expect((await connectFailure(emulator, activeCreds, { clientId: 'ACTIVE-1' })).message).toMatch(
      /Not authorized/i,
    );
  });
});
