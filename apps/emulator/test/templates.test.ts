import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startEmulator, TemplateValidationError } from '../src/index.js';
import {
  claimCredentials,
  connectMqttJs,
  endClient,
  provision,
  startTestEmulator,
  type TestEmulator,
} from './helpers.js';

const certificate = {
  Type: 'AWS::IoT::Certificate',
  Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
};

const intrinsics = {
  Parameters: {
    SerialNumber: { Type: 'String' },
    Region: { Type: 'String', Default: 'eu' },
    Line: { Type: 'Number', Default: 3 },
  },
  Mappings: {
    Regions: {
      eu: { endpoint: 'mqtt.eu.example', site: 'Lyon' },
      us: { endpoint: 'mqtt.us.example', site: 'Austin' },
    },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['_', ['dev', { Ref: 'SerialNumber' }]] },
        AttributePayload: {
          batch: { 'Fn::Select': [1, { 'Fn::Split': ['-', { Ref: 'SerialNumber' }] }] },
          site: { 'Fn::FindInMap': ['Regions', { Ref: 'Region' }, 'site'] },
        },
        ThingTypeName: 'sensor',
        ThingGroups: [{ 'Fn::Sub': 'line-${Line}' }],
        BillingGroup: 'factory',
      },
    },
    certificate,
    policy: {
      Type: 'AWS::IoT::Policy',
      Properties: {
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
        },
      },
    },
  },
  DeviceConfiguration: {
    endpoint: { 'Fn::FindInMap': ['Regions', { Ref: 'Region' }, 'endpoint'] },
    greeting: { 'Fn::Sub': ['hello ${Who} on ${Region}', { Who: { Ref: 'SerialNumber' } }] },
    certificateId: { Ref: 'AWS::IoT::Certificate::Id' },
  },
};

const overrideTemplate = (action: string) => ({
  Parameters: { Name: { Type: 'String' }, Color: { Type: 'String' }, Group: { Type: 'String' } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      OverrideSettings: { AttributePayload: action, ThingTypeName: action, ThingGroups: action },
      Properties: {
        ThingName: { Ref: 'Name' },
        AttributePayload: { color: { Ref: 'Color' } },
        ThingGroups: [{ Ref: 'Group' }],
      },
    },
    certificate,
  },
});

let emulator: TestEmulator;
let client: MqttClient;

beforeAll(async () => {
  emulator = await startTestEmulator({
    templates: {
      intrinsics,
      'override-DO_NOTHING': overrideTemplate('DO_NOTHING'),
      'override-REPLACE': overrideTemplate('REPLACE'),
      'override-MERGE': overrideTemplate('MERGE'),
      'override-FAIL': overrideTemplate('FAIL'),
    },
  });
  client = await connectMqttJs(emulator, await claimCredentials(emulator));
});
afterAll(async () => {
  await endClient(client);
  await emulator.cleanup();
});

describe('intrinsic functions', () => {
  it('Ref, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Sub, defaults and the certificate id', async () => {
    const { created, registered } = await provision(client, 'intrinsics', { SerialNumber: 'AB-42-7' });
    expect(registered.body).toEqual({
      thingName: 'dev_AB-42-7',
      deviceConfiguration: {
        endpoint: 'mqtt.eu.example',
        greeting: 'hello AB-42-7 on eu',
        certificateId: created.certificateId,
      },
    });
    const thing = emulator.registry.things().find((t) => t.thingName === 'dev_AB-42-7');
    expect(thing).toMatchObject({
      attributes: { batch: '42', site: 'Lyon' },
      thingTypeName: 'sensor',
      thingGroups: ['line-3'],
      billingGroup: 'factory',
      certificateIds: [created.certificateId],
    });
    const cert = emulator.registry.certificates().find((c) => c.certificateId === created.certificateId);
    expect(cert?.policyNames[0]).toMatch(/^intrinsics-policy-/);
  });
});

describe('OverrideSettings on an existing thing', () => {
  const run = async (action: string, name: string) => {
    await provision(client, `override-${action}`, { Name: name, Color: 'red', Group: 'g1' });
    const second = await provision(client, `override-${action}`, { Name: name, Color: 'blue', Group: 'g2' });
    return { second, thing: emulator.registry.things().find((t) => t.thingName === name) };
  };

  it('DO_NOTHING keeps the existing values but attaches the new certificate', async () => {
    const { second, thing } = await run('DO_NOTHING', 'ovr-nothing');
    expect(second.registered.outcome).toBe('accepted');
    expect(thing).toMatchObject({ attributes: { color: 'red' }, thingGroups: ['g1'] });
    expect(thing?.certificateIds).toHaveLength(2);
  });

  it('REPLACE replaces', async () => {
    const { thing } = await run('REPLACE', 'ovr-replace');
    expect(thing).toMatchObject({ attributes: { color: 'blue' }, thingGroups: ['g2'] });
  });

  it('MERGE merges attributes and groups', async () => {
    await provision(client, 'override-MERGE', { Name: 'ovr-merge', Color: 'red', Group: 'g1' });
    const before = emulator.registry.things().find((t) => t.thingName === 'ovr-merge');
    expect(before?.attributes).toEqual({ color: 'red' });
    const { thing } = await run('MERGE', 'ovr-merge');
    expect(thing?.thingGroups.sort()).toEqual(['g1', 'g2']);
    expect(thing?.attributes).toEqual({ color: 'blue' });
  });

  it('FAIL rejects when the thing differs, and changes nothing', async () => {
    const { second, thing } = await run('FAIL', 'ovr-fail');
    expect(second.registered.body).toMatchObject({ statusCode: 409, errorCode: 'ResourceConflict' });
    expect(thing).toMatchObject({
      attributes: { color: 'red' },
      thingGroups: ['g1'],
      certificateIds: [expect.any(String)],
    });
    const cert = emulator.registry
      .certificates()
      .find((c) => c.certificateId === second.created.certificateId);
    expect(cert?.status).toBe('PENDING_ACTIVATION');
  });
});

describe('validation at load', () => {
  const loadFails = async (templates: Record<string, unknown>, problem: RegExp) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'claimline-emulator-bad-'));
    try {
      const error = await startEmulator({ stateDir, port: 0, adminPort: 0, templates }).then(
        async (running) => {
          await running.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TemplateValidationError);
      expect((error as Error).message).toMatch(problem);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  };
  const thing = { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'x' } };

  it.each([
    ['a bad name', { 'bad name!': { Resources: { thing } } }, /1-36 characters/],
    ['a name over 36 characters', { ['x'.repeat(37)]: { Resources: { thing } } }, /1-36 characters/],
    [
      'a body over 10,240 characters',
      { big: { Resources: { thing }, Description: 'x'.repeat(10_300) } },
      /limit is 10240/,
    ],
    ['an unknown resource type', { t: { Resources: { q: { Type: 'AWS::SQS::Queue' } } } }, /is not one of/],
    [
      'PolicyName and PolicyDocument',
      {
        t: {
          Resources: {
            p: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'a', PolicyDocument: '{}' } },
          },
        },
      },
      /exactly one of/,
    ],
    [
      'a nested DeviceConfiguration',
      { t: { Resources: { thing }, DeviceConfiguration: { a: { b: 'c' } } } },
      /flat/,
    ],
    [
      'a bad OverrideSettings value',
      { t: { Resources: { thing: { ...thing, OverrideSettings: { ThingGroups: 'KEEP' } } } } },
      /OverrideSettings/,
    ],
  ])('rejects %s', async (_case, templates, problem) => {
    await loadFails(templates, problem);
  });

  it('loads templates from a directory (file name = template name) and names the bad file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claimline-templates-'));
    await writeFile(join(dir, 'broken.json'), '{ nope');
    const stateDir = await mkdtemp(join(tmpdir(), 'claimline-emulator-dir-'));
    try {
      await expect(startEmulator({ stateDir, port: 0, adminPort: 0, templatesDir: dir })).rejects.toThrow(
        /broken\.json is not valid JSON/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
