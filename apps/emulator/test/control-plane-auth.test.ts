import { CreatePolicyCommand, GetPolicyCommand, ListCertificatesCommand } from '@aws-sdk/client-iot';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import {
  iotClient,
  rawRequest,
  readControlPlaneFile,
  refusal,
  signedHeaders,
} from './control-plane-client.js';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.cleanup();
});

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Calls ListCertificates with a client whose settings differ from the client file's. */
async function listWith(overrides: Parameters<typeof iotClient>[1]) {
  const client = await iotClient(emulator, overrides);
  try {
    return await refusal(client.send(new ListCertificatesCommand({})));
  } finally {
    client.destroy();
  }
}

describe('SigV4', () => {
  it('a request signed with the client file is served (raw signer and SDK alike)', async () => {
    const response = await rawRequest(
      emulator,
      'GET',
      '/certificates',
      await signedHeaders(emulator, 'GET', '/certificates'),
    );
    expect(response).toMatchObject({ status: 200, body: { certificates: [] } });
    const client = await iotClient(emulator);
    await expect(client.send(new ListCertificatesCommand({}))).resolves.toMatchObject({ certificates: [] });
    client.destroy();
  });

  it('no Authorization header: 403 MissingAuthenticationTokenException', async () => {
    const response = await rawRequest(emulator, 'GET', '/certificates');
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException:');
    expect(response.body).toEqual({ message: 'Missing Authentication Token' });
  });

  it('a malformed Authorization header: 403 IncompleteSignatureException', async () => {
    const response = await rawRequest(emulator, 'GET', '/certificates', {
      authorization: 'AWS4-HMAC-SHA256 junk',
    });
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('IncompleteSignatureException:');
  });

  it("a wrong secret: 403 InvalidSignatureException with AWS's message", async () => {
    const file = await readControlPlaneFile(emulator);
    const wrong = { accessKeyId: file.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    expect(await listWith({ credentials: wrong })).toEqual({
      name: 'InvalidSignatureException',
      status: 403,
      message: MISMATCH,
    });
  });

  it('an unknown access key: 403 UnrecognizedClientException', async () => {
    const file = await readControlPlaneFile(emulator);
    const unknown = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: file.secretAccessKey };
    expect(await listWith({ credentials: unknown })).toEqual({
      name: 'UnrecognizedClientException',
      status: 403,
      message: 'The security token included in the request is invalid.',
    });
  });

  it('another region or service in the credential scope: 403 InvalidSignatureException', async () => {
    expect(await listWith({ region: 'eu-west-1' })).toMatchObject({
      name: 'InvalidSignatureException',
      status: 403,
      message: expect.stringContaining("not 'eu-west-1'"),
    });
    const s3 = await signedHeaders(emulator, 'GET', '/certificates', { service: 's3' });
    const response = await rawRequest(emulator, 'GET', '/certificates', s3);
    expect(response).toMatchObject({
      status: 403,
      body: { message: "Credential should be scoped to correct service: 'iot'. " },
    });
  });

  it('a signature older than 15 minutes: 403 Signature expired (the SDK corrects its clock and retries)', async () => {
    const signingDate = new Date(Date.now() - 20 * 60 * 1000);
    const stale = await signedHeaders(emulator, 'GET', '/certificates', { signingDate });
    const response = await rawRequest(emulator, 'GET', '/certificates', stale);
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('InvalidSignatureException:');
    expect(response.body.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const skewed = await iotClient(emulator, { systemClockOffset: -20 * 60 * 1000, maxAttempts: 2 });
    await expect(skewed.send(new ListCertificatesCommand({}))).resolves.toMatchObject({ certificates: [] });
    skewed.destroy();
  });

  it('a body changed after signing: 403 InvalidSignatureException, nothing created', async () => {
    const signedBody = JSON.stringify({ policyDocument: '{"Statement":[]}' });
    const headers = await signedHeaders(emulator, 'POST', '/policies/cp-tampered', { body: signedBody });
    const sent = JSON.stringify({ policyDocument: '{"Statement":{}}' });
    const response = await rawRequest(emulator, 'POST', '/policies/cp-tampered', headers, sent);
    expect(response).toMatchObject({ status: 403, body: { message: MISMATCH } });
    const client = await iotClient(emulator);
    expect(await refusal(client.send(new GetPolicyCommand({ policyName: 'cp-tampered' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await client.send(
      new CreatePolicyCommand({ policyName: 'cp-tampered', policyDocument: '{"Statement":[]}' }),
    );
    client.destroy();
  });
});
