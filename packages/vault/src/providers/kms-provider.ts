import { randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { RecordContext } from '../record-context.js';
import { VaultError, type VaultErrorCode } from '../vault-error.js';
import type { KeyProvider } from './key-provider.js';

const PREFIX = 'aws-kms:';
/** The context of the probe that learns the active key's ARN; nothing sealed with it is stored. */
const RESOLVE_CONTEXT: RecordContext = {
  serial: 'claimline-vault-resolve-key',
  certificateId: 'none',
  purpose: 'private-key',
};
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;

/** The region named in a KMS key or alias ARN; undefined for a bare key id or alias name. */
export function kmsRegionOf(keyId: string | undefined): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId ?? '')?.[1];
}

export type KmsProviderOptions = {
  /** Key ARN, key id or `alias/<name>`. A key ARN makes `isActive` exact without any call to KMS. */
  keyId: string;
  region: string;
  endpoint?: string;
  /** Extra SDK client settings (credentials, retries); tests pass fake credentials here. */
  client?: Partial<KMSClientConfig>;
};

/**
 * KMS EncryptionContext of a record. Real KMS binds it to the ciphertext as authenticated data and
 * records it in CloudTrail in clear: serial and certificate id are identifiers, not secrets.
 */
export function encryptionContext(context: RecordContext): Record<string, string> {
  return {
    'claimline:scheme': 'vault/v1',
    'claimline:purpose': context.purpose,
    'claimline:serial': context.serial,
    'claimline:certificate-id': context.certificateId,
  };
}

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
]);
const DECRYPT_REFUSED = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'InvalidKeyUsageException',
]);
const UNAVAILABLE = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
]);

function classify(error: unknown): VaultErrorCode {
  const { name, $fault } = (error ?? {}) as { name?: string; $fault?: string };
  if (name === 'NotFoundException') return 'UNKNOWN_KEK';
  if (name && DECRYPT_REFUSED.has(name)) return 'DECRYPT_FAILED';
  if (name && ACCESS_DENIED.has(name)) return 'KMS_ACCESS_DENIED';
  if (name && UNAVAILABLE.has(name)) return 'KMS_UNAVAILABLE';
  if ($fault === 'client' && !/Throttl|LimitExceeded/.test(name ?? '')) return 'KMS_REJECTED';
  // Network errors (ECONNREFUSED, timeouts), 5xx and throttling after the SDK's own retries.
  return 'KMS_UNAVAILABLE';
}

/** Only the error's name and KMS's own message: never the request, which carries the data key. */
export function kmsFailure(operation: string, error: unknown, context: RecordContext): VaultError {
  const { name, message, code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  const reason =
    [name, code, message].filter((part) => part && part !== 'Error').join(': ') || 'unknown error';
  return new VaultError(classify(error), `KMS ${operation} failed (${reason.slice(0, 300)})`, context);
}

export function createKmsProvider(options: KmsProviderOptions): KeyProvider {
  const client = new KMSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    ...options.client,
  });
  const configuredIsArn = KEY_ARN.test(options.keyId);
  // With an alias or a bare key id, the key ARN is learned from the first Encrypt answer.
  let resolvedArn: string | undefined = configuredIsArn ? options.keyId : undefined;

  const provider: KeyProvider = {
    name: 'aws-kms',
    activeKekId: PREFIX + options.keyId,
    isActive: (kekId) => resolvedArn !== undefined && kekId === PREFIX + resolvedArn,

    async resolveActiveKekId() {
      if (resolvedArn !== undefined) return PREFIX + resolvedArn;
      // One Encrypt of a throw-away key: KMS answers with the ARN behind the alias or bare key id.
      const probe = randomBytes(32);
      try {
        return (await provider.wrap(probe, RESOLVE_CONTEXT)).kekId;
      } finally {
        probe.fill(0);
      }
    },

    async wrap(dataKey, context, kekId) {
      const target =
        kekId === undefined ? options.keyId : kekId.startsWith(PREFIX) ? kekId.slice(PREFIX.length) : '';
      if (!target)
        throw new VaultError('UNKNOWN_KEK', `KEK ${JSON.stringify(kekId)} is not an aws-kms key`, context);
      let answer;
      try {
        answer = await client.send(
          new EncryptCommand({
            KeyId: target,
            Plaintext: dataKey,
            EncryptionContext: encryptionContext(context),
          }),
        );
      } catch (error) {
        throw kmsFailure('Encrypt', error, context);
      }
      if (!answer.CiphertextBlob || !answer.KeyId) {
        throw new VaultError(
          'KMS_UNAVAILABLE',
          'KMS Encrypt answered without CiphertextBlob or KeyId',
          context,
        );
      }
      if (target === options.keyId) resolvedArn = answer.KeyId;
      return { wrappedKey: Buffer.from(answer.CiphertextBlob), kekId: PREFIX + answer.KeyId };
    },

    async unwrap(wrappedKey, kekId, context) {
      if (!kekId.startsWith(PREFIX) || kekId.length === PREFIX.length) {
        throw new VaultError('UNKNOWN_KEK', `KEK ${JSON.stringify(kekId)} is not an aws-kms key`, context);
      }
      let answer;
      try {
        // KeyId pins the record to the key it names, even if an alias has moved since.
        answer = await client.send(
          new DecryptCommand({
            CiphertextBlob: wrappedKey,
            KeyId: kekId.slice(PREFIX.length),
            EncryptionContext: encryptionContext(context),
          }),
        );
      } catch (error) {
        throw kmsFailure('Decrypt', error, context);
      }
      if (!answer.Plaintext)
        throw new VaultError('KMS_UNAVAILABLE', 'KMS Decrypt answered without Plaintext', context);
      return Buffer.from(answer.Plaintext);
    },
  };
  return provider;
}
