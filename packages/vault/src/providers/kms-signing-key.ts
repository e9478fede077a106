import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { RecordContext } from '../record-context.js';
import { VaultError } from '../vault-error.js';
import { kmsFailure } from './kms-provider.js';

export type KmsSigningKeyOptions = {
  /** Key ARN, key id or `alias/<name>` of an asymmetric SIGN_VERIFY key with key spec ECC_NIST_P256. */
  keyId: string;
  region: string;
  endpoint?: string;
  /** Extra SDK client settings (credentials, retries); tests pass fake credentials here. */
  client?: Partial<KMSClientConfig>;
};

/** A signing key whose private half never leaves KMS: ECDSA P-256 with SHA-256. */
export type KmsSigningKey = {
  /** The key's ARN, as KMS names it. */
  keyArn: string;
  publicKey: KeyObject;
  /** ECDSA P-256/SHA-256 signature of `message`, IEEE P1363 (r ‖ s, 64 bytes). One KMS `Sign` per call. */
  sign(message: Buffer): Promise<Buffer>;
};

/** Names the key in errors, the way the vault names records: identifiers only. */
const CONTEXT: RecordContext = {
  serial: 'claimline-api',
  certificateId: 'bundle-signing-key:kms',
  purpose: 'server-signing-key',
};

/**
 * Opens a KMS signing key: one `GetPublicKey` (the key must be SIGN_VERIFY, ECC_NIST_P256, offering
 * ECDSA_SHA_256; anything else is refused with KMS_REJECTED before the first signature), then one
 * `Sign` per message, sent as its SHA-256 digest (MessageType DIGEST: any size, nothing but the
 * digest leaves the process).
 */
export async function openKmsSigningKey(options: KmsSigningKeyOptions): Promise<KmsSigningKey> {
  const client = new KMSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    ...options.client,
  });
  let described;
  try {
    described = await client.send(new GetPublicKeyCommand({ KeyId: options.keyId }));
  } catch (error) {
    throw kmsFailure('GetPublicKey', error, CONTEXT);
  }
  const { KeyId: keyArn, PublicKey: der, KeyUsage, KeySpec, SigningAlgorithms } = described;
  if (
    !keyArn ||
    !der ||
    KeyUsage !== 'SIGN_VERIFY' ||
    KeySpec !== 'ECC_NIST_P256' ||
    !SigningAlgorithms?.includes('ECDSA_SHA_256')
  ) {
    throw new VaultError(
      'KMS_REJECTED',
      `KMS key ${options.keyId} must be an asymmetric SIGN_VERIFY key with key spec ECC_NIST_P256 (it is ${KeyUsage ?? '?'} ${KeySpec ?? '?'})`,
      CONTEXT,
    );
  }
  const publicKey = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  return {
    keyArn,
    publicKey,
    async sign(message) {
      let answer;
      try {
        answer = await client.send(
          new SignCommand({
            KeyId: keyArn,
            Message: createHash('sha256').update(message).digest(),
            MessageType: 'DIGEST',
            SigningAlgorithm: 'ECDSA_SHA_256',
          }),
        );
      } catch (error) {
        throw kmsFailure('Sign', error, CONTEXT);
      }
      if (!answer.Signature)
        throw new VaultError('KMS_UNAVAILABLE', 'KMS Sign answered without a signature', CONTEXT);
      return derToP1363(Buffer.from(answer.Signature), 32);
    },
  };
}

/**
 * An ECDSA signature from DER (`SEQUENCE { INTEGER r, INTEGER s }`, what KMS returns) to IEEE P1363
 * (`r ‖ s`, each left-padded to the curve's size), the encoding RFC 9421 and the station use.
 */
export function derToP1363(der: Buffer, size: number): Buffer {
  const fail = (): never => {
    throw new VaultError('KMS_UNAVAILABLE', 'KMS Sign answered with a malformed signature', CONTEXT);
  };
  let offset = 0;
  const byte = () => (offset < der.length ? der[offset++]! : fail());
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) return fail(); // a P-256/P-384 signature is never longer than 255 bytes
    return byte();
  };
  if (byte() !== 0x30) fail();
  if (length() !== der.length - offset) fail();
  const integer = (): Buffer => {
    if (byte() !== 0x02) fail();
    const n = length();
    if (n === 0 || offset + n > der.length) fail();
    let value = der.subarray(offset, offset + n);
    offset += n;
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) fail();
    return Buffer.concat([Buffer.alloc(size - value.length), value]);
  };
  const r = integer();
  const s = integer();
  if (offset !== der.length) fail();
  return Buffer.concat([r, s]);
}
