import {
  createCipheriv,
  createDecipheriv,
  createHash,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test support, exported as `@claimline/vault/testing` (never imported by product code).
 *
 * A tiny stand-in for AWS KMS speaking its wire protocol (POST /, `X-Amz-Target: TrentService.<Op>`,
 * `application/x-amz-json-1.1`, base64 blobs, `__type` errors) for Encrypt and Decrypt, so the real
 * SDK client, its signing and serialisation run. Like real KMS it binds the EncryptionContext to the
 * ciphertext blob and answers InvalidCiphertextException when it differs; it is not a security model.
 * It also holds one asymmetric SIGN_VERIFY key (ECC_NIST_P256, `signingKeyArn`) for GetPublicKey and
 * Sign (ECDSA_SHA_256, MessageType RAW or DIGEST, DER signatures, as KMS answers); Sign and
 * GetPublicKey on a symmetric key, or Encrypt on the signing key, get InvalidKeyUsageException.
 */
export type FakeKmsCall = {
  operation: string;
  body: Record<string, unknown>;
  status: number;
  errorType?: string;
};
export type FakeKms = {
  endpoint: string;
  region: string;
  keyArns: [string, string];
  alias: string;
  /** The asymmetric ECC_NIST_P256 SIGN_VERIFY key. */
  signingKeyArn: string;
  /** Its public half, to check what Sign produced. */
  signingPublicKey: KeyObject;
  calls: FakeKmsCall[];
  /** The next request gets this error (status, __type) instead of being processed. */
  failNext(status: number, type: string): void;
  /**
   * After `passing` more requests are answered, requests are held unanswered until `release()`. `held`
   * resolves when the first one is held: a positive signal that a client is blocked mid-operation.
   */
  hold(passing?: number): { held: Promise<void>; release(): void };
  close(): Promise<void>;
};

const ACCOUNT = '111122223333';

type Key = { arn: string; material: Buffer };

function canonicalContext(context: unknown): Buffer {
  const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  return Buffer.from(JSON.stringify(entries));
}

class KmsFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeKms(region = 'eu-west-1'): Promise<FakeKms> {
  const keys: Key[] = [0, 1].map(() => ({
    arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${randomUUID()}`,
    material: randomBytes(32),
  }));
  const alias = 'alias/claimline-vault';
  const signing = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signingKeyArn = `arn:aws:kms:${region}:${ACCOUNT}:key/${randomUUID()}`;
  const signingScalar = Buffer.from(String(signing.privateKey.export({ format: 'jwk' }).d), 'base64url');
  const calls: FakeKmsCall[] = [];
  let injected: { status: number; type: string } | undefined;
  let gate: { passing: number; arrived(): void; released: Promise<void> } | undefined;

  const findKey = (keyId: unknown): Key => {
    const key =
      keyId === alias || keyId === `arn:aws:kms:${region}:${ACCOUNT}:${alias}`
        ? keys[0]
        : keys.find((candidate) => candidate.arn === keyId || candidate.arn.endsWith(`/${String(keyId)}`));
    if (!key) throw new KmsFault(400, 'NotFoundException', `Key '${String(keyId)}' does not exist`);
    return key;
  };

  const isSigningKey = (keyId: unknown) =>
    keyId === signingKeyArn || (typeof keyId === 'string' && signingKeyArn.endsWith(`/${keyId}`));
  const wrongUsage = (operation: string) =>
    new KmsFault(
      400,
      'InvalidKeyUsageException',
      `${operation}: the key usage of this key does not allow it`,
    );

  const getPublicKey = (body: Record<string, unknown>) => {
    if (!isSigningKey(body.KeyId)) {
      findKey(body.KeyId);
      throw new KmsFault(
        400,
        'UnsupportedOperationException',
        'GetPublicKey is not supported on symmetric keys',
      );
    }
    return {
      KeyId: signingKeyArn,
      PublicKey: signing.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    };
  };

  const sign = (body: Record<string, unknown>) => {
    if (!isSigningKey(body.KeyId)) {
      findKey(body.KeyId);
      throw wrongUsage('Sign');
    }
    if (body.SigningAlgorithm !== 'ECDSA_SHA_256')
      throw new KmsFault(400, 'InvalidKeyUsageException', 'SigningAlgorithm is not valid for this key');
    const message = Buffer.from(String(body.Message ?? ''), 'base64');
    if (message.length === 0 || message.length > 4096)
      throw new KmsFault(400, 'ValidationException', 'Message');
    const type = body.MessageType ?? 'RAW';
    if (type === 'DIGEST' && message.length !== 32)
      throw new KmsFault(400, 'ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
    const digest = type === 'DIGEST' ? message : createHash('sha256').update(message).digest();
    const signature = p256.sign(digest, signingScalar, { prehash: false }).toDERRawBytes();
    return {
      KeyId: signingKeyArn,
      Signature: Buffer.from(signature).toString('base64'),
      SigningAlgorithm: 'ECDSA_SHA_256',
    };
  };

  const encrypt = (body: Record<string, unknown>) => {
    if (isSigningKey(body.KeyId)) throw wrongUsage('Encrypt');
    const key = findKey(body.KeyId);
    const plaintext = Buffer.from(String(body.Plaintext ?? ''), 'base64');
    if (plaintext.length === 0 || plaintext.length > 4096)
      throw new KmsFault(400, 'ValidationException', 'Plaintext');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(canonicalContext(body.EncryptionContext));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const blob = Buffer.concat([Buffer.from([keys.indexOf(key)]), iv, sealed]);
    return {
      CiphertextBlob: blob.toString('base64'),
      KeyId: key.arn,
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    };
  };

  const decrypt = (body: Record<string, unknown>) => {
    const blob = Buffer.from(String(body.CiphertextBlob ?? ''), 'base64');
    const key = keys[blob[0] ?? 99];
    if (!key || blob.length < 1 + 12 + 16) throw new KmsFault(400, 'InvalidCiphertextException', '');
    if (body.KeyId !== undefined && findKey(body.KeyId) !== key) {
      throw new KmsFault(
        400,
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(1, 13));
      decipher.setAAD(canonicalContext(body.EncryptionContext));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const plaintext = Buffer.concat([
        decipher.update(blob.subarray(13, blob.length - 16)),
        decipher.final(),
      ]);
      return {
        Plaintext: plaintext.toString('base64'),
        KeyId: key.arn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    } catch {
      throw new KmsFault(400, 'InvalidCiphertextException', '');
    }
  };

  const handle = (
    request: IncomingMessage,
    raw: string,
  ): { status: number; payload: unknown; call: FakeKmsCall } => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const call: FakeKmsCall = { operation, body, status: 200 };
    try {
      if (injected) {
        const { status, type } = injected;
        injected = undefined;
        throw new KmsFault(status, type, 'injected by the test');
      }
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new KmsFault(400, 'SerializationException', 'expected POST application/x-amz-json-1.1');
      }
      if (
        !String(request.headers.authorization ?? '').startsWith(
          'AWS4-HMAC-SHA256 Credential=AKIAFAKEVAULTTEST/',
        )
      ) {
        throw new KmsFault(
          400,
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      }
      if (operation === 'Encrypt') return { status: 200, payload: encrypt(body), call };
      if (operation === 'Decrypt') return { status: 200, payload: decrypt(body), call };
      if (operation === 'GetPublicKey') return { status: 200, payload: getPublicKey(body), call };
      if (operation === 'Sign') return { status: 200, payload: sign(body), call };
      throw new KmsFault(400, 'UnknownOperationException', target);
    } catch (error) {
      if (!(error instanceof KmsFault)) throw error;
      call.status = error.status;
      call.errorType = error.type;
      return { status: error.status, payload: { __type: error.type, message: error.message }, call };
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (gate && gate.passing-- <= 0) {
        gate.arrived();
        await gate.released;
      }
      const { status, payload, call } = handle(request, Buffer.concat(chunks).toString('utf8'));
      calls.push(call);
      const headers: Record<string, string> = {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
      };
      if (call.errorType) headers['x-amzn-errortype'] = call.errorType;
      response.writeHead(status, headers).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    keyArns: [keys[0]?.arn as string, keys[1]?.arn as string],
    alias,
    signingKeyArn,
    signingPublicKey: signing.publicKey,
    calls,
    failNext: (status, type) => {
      injected = { status, type };
    },
    hold: (passing = 0) => {
      let arrived!: () => void;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      gate = { passing, arrived, released };
      return {
        held,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
