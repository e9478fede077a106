import { parsePolicyDocument, type PolicyDocument } from '../src/policy/policy-document.js';
import { decide } from '../src/policy/policy-evaluator.js';
import type { PolicyContext } from '../src/policy/policy-variables.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

function policy(statements: unknown[]): PolicyDocument {
  const parsed = parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.document;
}

const attached: PolicyContext = {
  clientId: 'dev-1',
  thing: { thingName: 'dev-1', thingTypeName: 'sensor', attributes: { line: 'L7' } },
};
const unattached: PolicyContext = { clientId: 'dev-1' };

describe('policy documents', () => {
  it.each([
    ['not JSON', '{'],
    ['no Statement', '{"Version":"2012-10-17"}'],
    ['an unknown Effect', '{"Statement":{"Effect":"Maybe","Action":"iot:*","Resource":"*"}}'],
    ['Action and NotAction', '{"Statement":{"Effect":"Allow","Action":"a","NotAction":"b","Resource":"*"}}'],
    ['no Resource', '{"Statement":{"Effect":"Allow","Action":"iot:*"}}'],
    ['an unknown key', '{"Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*","Principal":"*"}}'],
    [
      'a condition operator the emulator cannot evaluate',
      '{"Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}}',
    ],
  ])('refuses %s', (_case, text) => {
    expect(parsePolicyDocument(text).ok).toBe(false);
  });
});

describe('decide', () => {
  it('default deny; an Allow allows; an explicit Deny wins over any Allow', () => {
    const allowAll = policy([{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }]);
    const denyTopic = policy([{ Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}:topic/a/*` }]);
    expect(decide([], 'iot:Publish', `${ARN}:topic/a/b`, attached)).toBe('implicit-deny');
    expect(decide([allowAll], 'iot:Publish', `${ARN}:topic/a/b`, attached)).toBe('allow');
    expect(decide([allowAll, denyTopic], 'iot:Publish', `${ARN}:topic/a/b`, attached)).toBe('explicit-deny');
    expect(decide([allowAll, denyTopic], 'iot:Receive', `${ARN}:topic/a/b`, attached)).toBe('allow');
  });

  it('wildcards: * spans levels, ? is one character, + and # are literal; actions ignore case', () => {
    const doc = policy([
      { Effect: 'Allow', Action: 'IOT:publish', Resource: [`${ARN}:topic/a/*/z`, `${ARN}:topic/b/?`] },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}:topicfilter/c/+` },
    ]);
    const publish = (topic: string) => decide([doc], 'iot:Publish', `${ARN}:topic/${topic}`, attached);
    expect(publish('a/1/2/z')).toBe('allow');
    expect(publish('a/z')).toBe('implicit-deny');
    expect(publish('b/1')).toBe('allow');
    expect(publish('b/12')).toBe('implicit-deny');
    const subscribe = (filter: string) =>
      decide([doc], 'iot:Subscribe', `${ARN}:topicfilter/${filter}`, attached);
    expect(subscribe('c/+')).toBe('allow');
    expect(subscribe('c/x')).toBe('implicit-deny');
  });

  it('NotAction and NotResource', () => {
    const doc = policy([
      { Effect: 'Allow', NotAction: 'iot:Connect', NotResource: `${ARN}:topic/private/*` },
    ]);
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/public/x`, attached)).toBe('allow');
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/private/x`, attached)).toBe('implicit-deny');
    expect(decide([doc], 'iot:Connect', `${ARN}:client/dev-1`, attached)).toBe('implicit-deny');
  });

  it('thing variables resolve only for an attached thing; variable values are literal, not wildcards', () => {
    const doc = policy([
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [
          `${ARN}:topic/t/\${iot:Connection.Thing.ThingName}/\${iot:Connection.Thing.Attributes[line]}`,
          `${ARN}:topic/c/\${iot:ClientId}`,
          `${ARN}:topic/literal/\${*}`,
        ],
      },
    ]);
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/t/dev-1/L7`, attached)).toBe('allow');
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/t/dev-1/L7`, unattached)).toBe('implicit-deny');
    const star: PolicyContext = { clientId: '*' };
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/c/*`, star)).toBe('allow');
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/c/anything`, star)).toBe('implicit-deny');
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/literal/*`, attached)).toBe('allow');
    expect(decide([doc], 'iot:Publish', `${ARN}:topic/literal/x`, attached)).toBe('implicit-deny');
  });

  it('conditions: Bool IsAttached, StringEquals, StringLike, and a missing key', () => {
    const doc = policy([
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: '*',
        Condition: {
          Bool: { 'iot:Connection.Thing.IsAttached': ['true'] },
          StringEquals: { 'iot:Connection.Thing.ThingTypeName': 'sensor' },
          StringLike: { 'iot:ClientId': 'dev-*' },
        },
      },
      {
        Effect: 'Deny',
        Action: 'iot:Connect',
        Resource: '*',
        Condition: { StringNotEquals: { 'iot:Connection.Thing.Attributes[line]': 'L7' } },
      },
    ]);
    const connect = (context: PolicyContext) => decide([doc], 'iot:Connect', `${ARN}:client/x`, context);
    expect(connect(attached)).toBe('allow');
    // Not attached: IsAttached is false, and the negated operator on a missing attribute holds.
    expect(connect(unattached)).toBe('explicit-deny');
    expect(connect({ ...attached, clientId: 'other' })).toBe('implicit-deny');
    expect(connect({ ...attached, thing: { ...attached.thing!, attributes: { line: 'L8' } } })).toBe(
      'explicit-deny',
    );
  });
});
