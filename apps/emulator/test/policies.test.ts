import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  claimCredentials,
  closed,
  connectFailure,
  connectMqttJs,
  endClient,
  provision,
  startTestEmulator,
  subscribeGranted,
  type Credentials,
  type TestEmulator,
} from './helpers.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

const withPolicy = (policy: Record<string, unknown>) => ({
  Parameters: { SerialNumber: { Type: 'String' } },
  Resources: {
    thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: policy },
  },
});

/**
 * Connect as any client id attached to the certificate's thing (`${iot:ClientId}` and a `Bool`
 * condition on IsAttached); own topics under `things/<thing>/`, except an explicit Deny on `…/secret`
 * (every action) and on receiving `…/muted`.
 */
const INLINE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `${ARN}:client/\${iot:ClientId}`,
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    },
    {
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}/*`,
    },
    {
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: `${ARN}:topicfilter/things/\${iot:Connection.Thing.ThingName}/*`,
    },
    {
      Effect: 'Deny',
      Action: 'iot:*',
      Resource: [
        `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}/secret`,
        `${ARN}:topicfilter/things/\${iot:Connection.Thing.ThingName}/secret`,
      ],
    },
    { Effect: 'Deny', Action: 'iot:Receive', Resource: `${ARN}:topic/things/*/muted` },
  ],
};

let emulator: TestEmulator;
let claim: MqttClient;

beforeAll(async () => {
  emulator = await startTestEmulator({
    templates: {
      named: withPolicy({ PolicyName: 'claimline-device' }),
      inline: withPolicy({ PolicyDocument: JSON.stringify(INLINE_POLICY) }),
      'missing-policy': withPolicy({ PolicyName: 'no-such-policy' }),
      'malformed-policy': withPolicy({ PolicyDocument: { Statement: [{ Effect: 'Maybe' }] } }),
    },
  });
  claim = await connectMqttJs(emulator, await claimCredentials(emulator));
});
afterAll(async () => {
  await endClient(claim);
  await emulator.cleanup();
});

async function device(template: string, serial: string): Promise<Credentials> {
  const { created, registered } = await provision(claim, template, { SerialNumber: serial });
  if (registered.outcome !== 'accepted') throw new Error(JSON.stringify(registered.body));
  return { cert: created.certificatePem!, key: created.privateKey! };
}

/** Resolves with the next message on `client`, as `topic payload`. */
const nextMessage = (client: MqttClient) =>
  new Promise<string>((resolve) =>
    client.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)),
  );

describe.each([4, 5] as const)('device policies over MQTT protocol level %s', (protocolVersion) => {
  const serial = (name: string) => `${name}-v${protocolVersion}`;
  const refusal = protocolVersion === 5 ? 0x87 : 5;

  it('iot:Connect: as ${iot:Connection.Thing.ThingName} only; ${iot:ClientId} with IsAttached', async () => {
    const named = await device('named', serial('CONNECT-N'));
    const ok = await connectMqttJs(emulator, named, { clientId: serial('CONNECT-N'), protocolVersion });
    await endClient(ok);
    const other = await connectFailure(emulator, named, { clientId: 'someone-else', protocolVersion });
    expect(other).toMatchObject({ message: expect.stringMatching(/Not authorized/i), code: refusal });

    const inline = await device('inline', serial('CONNECT-I'));
    const attached = await connectMqttJs(emulator, inline, {
      clientId: serial('CONNECT-I'),
      protocolVersion,
    });
    await endClient(attached);
    // Another thing exists under that name, but this certificate is not attached to it: IsAttached false.
    const foreign = await connectFailure(emulator, inline, {
      clientId: serial('CONNECT-N'),
      protocolVersion,
    });
    expect(foreign).toMatchObject({ code: refusal });
  });

  it('iot:Subscribe: own filters granted, others and an explicit Deny refused', async () => {
    const name = serial('SUB');
    const client = await connectMqttJs(emulator, await device('inline', name), {
      clientId: name,
      protocolVersion,
    });
    const failure = protocolVersion === 5 ? 0x87 : 0x80;
    expect(
      await subscribeGranted(client, [
        `things/${name}/#`,
        `things/${name}/secret`,
        'things/someone-else/#',
        '$aws/certificates/create/json/+',
      ]),
    ).toEqual([1, failure, failure, failure]);
    await endClient(client);
  });

  it('iot:Publish allowed and iot:Receive: a message under an explicit Receive Deny is not delivered', async () => {
    const name = serial('RECV');
    const client = await connectMqttJs(emulator, await device('inline', name), {
      clientId: name,
      protocolVersion,
    });
    await client.subscribeAsync(`things/${name}/#`, { qos: 1 });
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    const loud = nextMessage(client);
    await client.publishAsync(`things/${name}/muted`, 'm', { qos: 1 });
    await client.publishAsync(`things/${name}/loud`, 'l', { qos: 1 });
    // Deliveries keep the publish order: once `loud` arrived, `muted` would have arrived before it.
    expect(await loud).toBe(`things/${name}/loud l`);
    expect(received).toEqual([`things/${name}/loud`]);
    await endClient(client);
  });

  it('iot:Publish denied (not allowed, or explicitly denied): MQTT 3.1.1 closes, MQTT 5 answers PUBACK 0x87', async () => {
    const name = serial('PUB');
    const credentials = await device('inline', name);
    for (const topic of ['things/someone-else/x', `things/${name}/secret`]) {
      const client = await connectMqttJs(emulator, credentials, { clientId: name, protocolVersion });
      if (protocolVersion === 4) {
        const wasClosed = closed(client);
        client.publish(topic, 'x', { qos: 1 });
        await wasClosed;
      } else {
        await expect(client.publishAsync(topic, 'x', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
        // Still connected: an allowed publish goes through and comes back.
        await client.subscribeAsync(`things/${name}/#`, { qos: 1 });
        const back = nextMessage(client);
        await client.publishAsync(`things/${name}/after`, 'a', { qos: 1 });
        expect(await back).toBe(`things/${name}/after a`);
      }
      await endClient(client);
    }
  });
});

describe('the claim certificate', () => {
  it('is held to the bundled claim policy (AWS fleet-provisioning example): $aws/things/… is refused', async () => {
    const client = await connectMqttJs(emulator, await claimCredentials(emulator), { protocolVersion: 5 });
    expect(
      await subscribeGranted(client, [
        '$aws/certificates/create-from-csr/json/+',
        '$aws/provisioning-templates/named/provision/json/+',
        '$aws/things/x/shadow/get/+',
      ]),
    ).toEqual([1, 1, 0x87]);
    await expect(client.publishAsync('$aws/things/x/shadow/get', '{}', { qos: 1 })).rejects.toMatchObject({
      code: 0x87,
    });
    await endClient(client);
  });

  it('a claim policy file (EMULATOR_CLAIM_POLICY_FILE) is evaluated the same way', async () => {
    const file = join(emulator.stateDir, 'strict-claim-policy.json');
    const bundled = JSON.parse(await readFile(join(__dirname, '../policies/claim-policy.json'), 'utf8')) as {
      Statement: unknown[];
    };
    bundled.Statement[0] = { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/line-?-*` };
    await writeFile(file, JSON.stringify(bundled));
    const strict = await startTestEmulator({ claimPolicyFile: file });
    try {
      const credentials = await claimCredentials(strict);
      await endClient(await connectMqttJs(strict, credentials, { clientId: 'line-1-station' }));
      expect(await connectFailure(strict, credentials, { clientId: 'line-12-station' })).toMatchObject({
        code: 5,
      });
    } finally {
      await strict.cleanup();
    }
  });

  it('an invalid claim policy file stops the start with the reason', async () => {
    const file = join(emulator.stateDir, 'bad-claim-policy.json');
    await writeFile(file, JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:Connect' }] }));
    await expect(startTestEmulator({ claimPolicyFile: file })).rejects.toThrow(
      /bad-claim-policy\.json.*Resource and NotResource/s,
    );
  });
});

describe('RegisterThing and policies', () => {
  it('a policy named but not existing → 404 ResourceNotFoundException, nothing made', async () => {
    const before = emulator.registry.things().length;
    const { registered } = await provision(claim, 'missing-policy', { SerialNumber: 'NO-POLICY' });
    expect(registered.body).toMatchObject({
      statusCode: 404,
      errorCode: 'ResourceNotFoundException',
      errorMessage: 'policy no-such-policy does not exist',
    });
    expect(emulator.registry.things()).toHaveLength(before);
  });

  it('a malformed inline policy document → 400 InvalidParameters', async () => {
    const { registered } = await provision(claim, 'malformed-policy', { SerialNumber: 'BAD-POLICY' });
    expect(registered.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidParameters' });
  });

  it("the bundled template's inline policy is the default claimline-device policy", async () => {
    const template = JSON.parse(
      await readFile(join(__dirname, '../templates/claimline-default.json'), 'utf8'),
    ) as { Resources: { policy: { Properties: { PolicyDocument: string } } } };
    const device = await readFile(join(__dirname, '../policies/claimline-device.json'), 'utf8');
    expect(JSON.parse(template.Resources.policy.Properties.PolicyDocument)).toEqual(JSON.parse(device));
  });
});
