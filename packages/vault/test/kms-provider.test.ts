import { createVault, type CreateVaultOptions } from '../src/index.js';
import { startFakeKms, type FakeKms } from '../src/testing.js';
import {
  PRIVATE_KEY_PEM,
  caught,
  contextA,
  contextB,
  expectNoPlaintext,
  flipBit,
  vaultConfig,
} from './helpers.js';

const plaintext = Buffer.from(PRIVATE_KEY_PEM);
const sdk: CreateVaultOptions = {
  kmsClient: {
    credentials: { accessKeyId: 'AKIAFAKEVAULTTEST', secretAccessKey: 'fake-secret' },
    maxAttempts: 1,
  },
};

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms();
});
afterAll(() => kms.close());

function kmsVault(keyId: string, endpoint = kms.endpoint, options = sdk) {
  return createVault(
    vaultConfig({
      VAULT_PROVIDER: 'aws-kms',
      VAULT_KMS_KEY_ID: keyId,
      VAULT_KMS_REGION: kms.region,
      VAULT_KMS_ENDPOINT: endpoint,
    }),
    options,
  );
}

describe('aws-kms provider against a local fake of the KMS JSON protocol', () => {
  it('round-trips through Encrypt/Decrypt with the record as EncryptionContext', async () => {
    const vault = kmsVault(kms.alias);
    const from = kms.calls.length;
    const record = await vault.seal({ plaintext, context: contextA });
    expect(record.kekId).toBe(`aws-kms:${kms.keyArns[0]}`);
    expect(await vault.open(record, contextA)).toEqual(plaintext);

    const [encrypt, decrypt] = kms.calls.slice(from);
    expect(encrypt?.operation).toBe('Encrypt');
    expect(encrypt?.body.KeyId).toBe(kms.alias);
    expect(Buffer.from(String(encrypt?.body.Plaintext), 'base64')).toHaveLength(32);
    expect(encrypt?.body.EncryptionContext).toEqual({
      'claimline:scheme': 'vault/v1',
      'claimline:purpose': 'private-key',
      'claimline:serial': contextA.serial,
      'claimline:certificate-id': contextA.certificateId,
    });
    expect(decrypt?.operation).toBe('Decrypt');
    expect(decrypt?.body.KeyId).toBe(kms.keyArns[0]);
    // Only the 32-byte data key ever travels to KMS, never the secret itself.
    expectNoPlaintext(JSON.stringify(kms.calls), plaintext);
    expectNoPlaintext(JSON.stringify(record), plaintext);
  });

  it('is rejected by KMS when the encryption context differs (another row’s context)', async () => {
    const vault = kmsVault(kms.keyArns[0]);
    const record = await vault.seal({ plaintext, context: contextA });
    const error = await caught(vault.open(record, contextB));
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.message).toContain('InvalidCiphertextException');
    expect(error.message).toContain('SN-B-0002');
    expect(kms.calls.at(-1)).toMatchObject({
      operation: 'Decrypt',
      status: 400,
      errorType: 'InvalidCiphertextException',
    });
    expectNoPlaintext(error.message, plaintext);
  });

  it('detects a tampered wrapped key and a tampered ciphertext', async () => {
    const vault = kmsVault(kms.keyArns[0]);
    const record = await vault.seal({ plaintext, context: contextA });
    const wrapped = await caught(
      vault.open({ ...record, wrappedKey: flipBit(record.wrappedKey, 20) }, contextA),
    );
    expect(wrapped.code).toBe('DECRYPT_FAILED');
    const body = await caught(
      vault.open({ ...record, ciphertext: flipBit(record.ciphertext, 30) }, contextA),
    );
    expect(body.code).toBe('DECRYPT_FAILED');
  });

  it('rotates to another KMS key without touching the ciphertext', async () => {
    const old = kmsVault(kms.keyArns[0]);
    const record = await old.seal({ plaintext, context: contextA });
    expect(old.needsRewrap(record)).toBe(false);
    const current = kmsVault(kms.keyArns[1]);
    expect(current.needsRewrap(record)).toBe(true);
    const rotated = await current.rewrap(record, contextA);
    expect(rotated.kekId).toBe(`aws-kms:${kms.keyArns[1]}`);
    expect(rotated.ciphertext.equals(record.ciphertext)).toBe(true);
    expect(current.needsRewrap(rotated)).toBe(false);
    expect(await current.open(rotated, contextA)).toEqual(plaintext);
  });

  it('configured by alias, learns the key ARN from the first Encrypt before needsRewrap can say false', async () => {
    const vault = kmsVault(kms.alias);
    const probe = {
      ciphertext: Buffer.alloc(0),
      wrappedKey: Buffer.alloc(1),
      kekId: `aws-kms:${kms.keyArns[0]}`,
      algorithm: '',
    };
    expect(vault.needsRewrap(probe)).toBe(true);
    await vault.seal({ plaintext, context: contextA });
    expect(vault.needsRewrap(probe)).toBe(false);
  });

  it('resolveActiveKekId learns the ARN behind an alias with one Encrypt, then answers without KMS', async () => {
    const vault = kmsVault(kms.alias);
    const from = kms.calls.length;
    expect(await vault.resolveActiveKekId()).toBe(`aws-kms:${kms.keyArns[0]}`);
    expect(await vault.resolveActiveKekId()).toBe(`aws-kms:${kms.keyArns[0]}`);
    expect(kms.calls.slice(from).map((call) => call.operation)).toEqual(['Encrypt']);
    const byArn = kmsVault(kms.keyArns[1]);
    expect(await byArn.resolveActiveKekId()).toBe(`aws-kms:${kms.keyArns[1]}`);
    expect(kms.calls.length).toBe(from + 1);
  });

  it('maps KMS answers to codes: unknown key, access denied, server error', async () => {
    const unknown = await caught(kmsVault(`${kms.keyArns[0]}-gone`).seal({ plaintext, context: contextA }));
    expect(unknown.code).toBe('UNKNOWN_KEK');
    const vault = kmsVault(kms.keyArns[0]);
    kms.failNext(400, 'AccessDeniedException');
    expect((await caught(vault.seal({ plaintext, context: contextA }))).code).toBe('KMS_ACCESS_DENIED');
    kms.failNext(500, 'KMSInternalException');
    const internal = await caught(vault.seal({ plaintext, context: contextA }));
    expect(internal.code).toBe('KMS_UNAVAILABLE');
    expect(internal).toHaveProperty('retryable', true);
  });

  it('reports KMS_UNAVAILABLE, naming the record, when the server is down', async () => {
    const down = await startFakeKms();
    await down.close();
    const vault = kmsVault(down.keyArns[0], down.endpoint, {
      kmsClient: { ...sdk.kmsClient, maxAttempts: 2 },
    });
    const error = await caught(vault.seal({ plaintext, context: contextA }));
    expect(error.code).toBe('KMS_UNAVAILABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('SN-A-0001');
    expectNoPlaintext(error.message, plaintext);
  });
});
