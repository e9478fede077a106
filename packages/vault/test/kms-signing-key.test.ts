import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { derToP1363, openKmsSigningKey, VaultError } from '../src/index.js';
import { startFakeKms, type FakeKms } from '../src/testing.js';

const client = {
  credentials: { accessKeyId: 'AKIAFAKEVAULTTEST', secretAccessKey: 'fake-secret' },
  maxAttempts: 1,
};

let kms: FakeKms;
beforeAll(async () => {
  kms = await startFakeKms();
});
afterAll(() => kms.close());

const open = (keyId: string) =>
  openKmsSigningKey({ keyId, region: kms.region, endpoint: kms.endpoint, client });

describe('KMS signing key (the real SDK against the fake KMS)', () => {
  it('learns the public key once, then signs the SHA-256 digest of each message with one Sign', async () => {
    const from = kms.calls.length;
    const key = await open(kms.signingKeyArn);
    expect(key.keyArn).toBe(kms.signingKeyArn);
    expect(key.publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      kms.signingPublicKey.export({ type: 'spki', format: 'pem' }),
    );
    const message = Buffer.alloc(10_000, 'bundle '); // larger than Sign's 4,096-byte RAW limit
    const signature = await key.sign(message);
    expect(signature).toHaveLength(64);
    expect(verify('sha256', message, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      true,
    );
    expect(
      verify('sha256', Buffer.from('other'), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(false);

    const calls = kms.calls.slice(from);
    expect(calls.map((c) => c.operation)).toEqual(['GetPublicKey', 'Sign']);
    expect(calls[1]?.body).toMatchObject({
      KeyId: kms.signingKeyArn,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
      Message: createHash('sha256').update(message).digest('base64'),
    });
  });

  it('refuses a symmetric key before any signature, and types a KMS outage as retryable', async () => {
    const refused = await open(kms.keyArns[0]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VaultError);
    expect(refused).toMatchObject({ code: 'KMS_REJECTED', retryable: false });
    expect((refused as Error).message).toContain('UnsupportedOperationException');

    const key = await open(kms.signingKeyArn);
    kms.failNext(500, 'KMSInternalException');
    await expect(key.sign(Buffer.from('x'))).rejects.toMatchObject({
      code: 'KMS_UNAVAILABLE',
      retryable: true,
    });
    kms.failNext(400, 'AccessDeniedException');
    await expect(key.sign(Buffer.from('x'))).rejects.toMatchObject({ code: 'KMS_ACCESS_DENIED' });
    kms.failNext(400, 'DisabledException');
    await expect(key.sign(Buffer.from('x'))).rejects.toMatchObject({ code: 'KMS_REJECTED' });
  });
});

describe('derToP1363', () => {
  it('turns DER signatures into r ‖ s that verify (300 signatures)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (let i = 0; i < 300; i++) {
      const message = Buffer.from(`message ${i}`);
      const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      const raw = derToP1363(der, 32);
      expect(raw).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
  });

  it('drops the sign byte of a high r and left-pads a short s', () => {
    const r = Buffer.alloc(32, 0xff);
    const s = Buffer.from([0x01, 0x02, 0x03]);
    const der = Buffer.from([0x30, 2 + 33 + 2 + 3, 0x02, 33, 0x00, ...r, 0x02, 3, ...s]);
    expect(derToP1363(der, 32)).toEqual(Buffer.concat([r, Buffer.alloc(29), s]));
  });

  it('refuses what is not a DER ECDSA signature', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = sign('sha256', Buffer.from('m'), { key: privateKey, dsaEncoding: 'der' });
    for (const bad of [
      Buffer.alloc(0),
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.from([0])]),
      Buffer.from([0x31, ...der.subarray(1)]),
      Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x03, 0x01, 0x01]),
      Buffer.from([0x30, 0x26, 0x02, 0x21, ...Buffer.alloc(33, 1), 0x02, 0x01, 0x01]),
    ])
      expect(() => derToP1363(bad, 32)).toThrow(VaultError);
  });
});
