import {
  CreatePolicyCommand,
  DescribeEndpointCommand,
  DescribeProvisioningTemplateCommand,
  DetachPolicyCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-iot';
import { DEFAULT_TEMPLATE } from './helpers.js';
import {
  ARN,
  controlPlaneFixture,
  provisionUnit,
  rawRequest,
  refusal,
  signedHeaders,
} from './control-plane-client.js';

const cp = controlPlaneFixture();

const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

describe('policies', () => {
  it('CreatePolicy then GetPolicy return the document; the registry keeps it', async () => {
    const created = await cp.iot.send(
      new CreatePolicyCommand({ policyName: 'cp-policy@1', policyDocument: DOCUMENT }),
    );
    expect(created).toMatchObject({
      policyName: 'cp-policy@1',
      policyArn: `${ARN}:policy/cp-policy@1`,
      policyDocument: DOCUMENT,
      policyVersionId: '1',
    });
    expect(await cp.iot.send(new GetPolicyCommand({ policyName: 'cp-policy@1' }))).toMatchObject({
      policyName: 'cp-policy@1',
      policyArn: `${ARN}:policy/cp-policy@1`,
      policyDocument: DOCUMENT,
      defaultVersionId: '1',
    });
  });

  it('CreatePolicy refuses a duplicate (409 with resourceId), a malformed document and a bad name', async () => {
    await cp.iot.send(new CreatePolicyCommand({ policyName: 'cp-dup', policyDocument: DOCUMENT }));
    const error = await cp.iot
      .send(new CreatePolicyCommand({ policyName: 'cp-dup', policyDocument: DOCUMENT }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ResourceAlreadyExistsException);
    expect(error).toMatchObject({
      resourceId: 'cp-dup',
      resourceArn: `${ARN}:policy/cp-dup`,
      $metadata: { httpStatusCode: 409 },
    });
    const malformed = new CreatePolicyCommand({ policyName: 'cp-bad', policyDocument: '{"Version":' });
    expect(await refusal(cp.iot.send(malformed))).toMatchObject({
      name: 'MalformedPolicyException',
      status: 400,
    });
    const noStatement = new CreatePolicyCommand({
      policyName: 'cp-bad',
      policyDocument: '{"Version":"2012-10-17"}',
    });
    expect(await refusal(cp.iot.send(noStatement))).toMatchObject({ name: 'MalformedPolicyException' });
    const badName = new CreatePolicyCommand({ policyName: 'no spaces', policyDocument: DOCUMENT });
    expect(await refusal(cp.iot.send(badName))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
    expect(await refusal(cp.iot.send(new GetPolicyCommand({ policyName: 'cp-bad' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });

  it("ListAttachedPolicies pages a certificate's policies; DetachPolicy removes one", async () => {
    const unit = await provisionUnit(cp.claim, 'CP-POLICIES');
    const first = await cp.iot.send(
      new ListAttachedPoliciesCommand({ target: unit.certificateArn, pageSize: 1 }),
    );
    expect(first).toMatchObject({
      policies: [{ policyName: 'claimline-device', policyArn: `${ARN}:policy/claimline-device` }],
    });
    expect(first.nextMarker).toBeUndefined();
    await cp.iot.send(
      new DetachPolicyCommand({ policyName: 'claimline-device', target: unit.certificateArn }),
    );
    expect(
      (await cp.iot.send(new ListAttachedPoliciesCommand({ target: unit.certificateArn }))).policies,
    ).toEqual([]);
    expect(
      await refusal(
        cp.iot.send(new ListAttachedPoliciesCommand({ target: `${ARN}:cert/${'d'.repeat(64)}` })),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    const unknownTarget = new DetachPolicyCommand({
      policyName: 'claimline-device',
      target: 'eu-west-1:cognito',
    });
    expect(await refusal(cp.iot.send(unknownTarget))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });
});

describe('provisioning templates and endpoint', () => {
  it('DescribeProvisioningTemplate returns the template as AWS stores it', async () => {
    const described = await cp.iot.send(
      new DescribeProvisioningTemplateCommand({ templateName: 'claimline-default' }),
    );
    expect(described).toMatchObject({
      templateArn: `${ARN}:provisioningtemplate/claimline-default`,
      templateName: 'claimline-default',
      enabled: true,
      type: 'FLEET_PROVISIONING',
      defaultVersionId: 1,
      creationDate: expect.any(Date),
    });
    expect(JSON.parse(described.templateBody!)).toMatchObject({ Resources: DEFAULT_TEMPLATE.Resources });
    const missing = new DescribeProvisioningTemplateCommand({ templateName: 'absent' });
    expect(await refusal(cp.iot.send(missing))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    const invalid = new DescribeProvisioningTemplateCommand({ templateName: 'not valid!' });
    expect(await refusal(cp.iot.send(invalid))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('DescribeEndpoint names the MQTT endpoint; other endpoint types are refused', async () => {
    const endpoint = await cp.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    expect(endpoint.endpointAddress).toBe(`${cp.emulator.host}:${cp.emulator.port}`);
    const jobs = new DescribeEndpointCommand({ endpointType: 'iot:Jobs' });
    expect(await refusal(cp.iot.send(jobs))).toMatchObject({ name: 'InvalidRequestException' });
  });

  it('a signed request for no operation is answered 404 with an error type, not an HTML page', async () => {
    const response = await rawRequest(
      cp.emulator,
      'GET',
      '/no-such-thing',
      await signedHeaders(cp.emulator, 'GET', '/no-such-thing'),
    );
    expect(response.status).toBe(404);
    expect(response.headers['x-amzn-errortype']).toBe('UnknownOperationException:');
    expect(response.headers['x-amzn-requestid']).toEqual(expect.any(String));
  });
});
