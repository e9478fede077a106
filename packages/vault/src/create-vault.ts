import { randomBytes } from 'node:crypto';
import type { KMSClientConfig } from '@aws-sdk/client-kms';
import { ConfigError, type ConfigIssue, type VaultConfig } from '@claimline/config';
import { DATA_ALGORITHM, DATA_KEY_BYTES, checkDataFormat, decryptData, encryptData } from './envelope.js';
import type { KeyProvider } from './providers/key-provider.js';
import { createKmsProvider, kmsRegionOf } from './providers/kms-provider.js';
import { parseLocalKeys, readLocalKeyFile } from './providers/local-keys.js';
import { createLocalProvider } from './providers/local-provider.js';
import { checkContext, type RecordContext, type SealedRecord } from './record-context.js';
import { VaultError } from './vault-error.js';

export type SealInput = { plaintext: Buffer; context: RecordContext };

export type Vault = {
  readonly provider: 'local' | 'aws-kms';
  /** Provider-qualified id of the KEK new records are wrapped under. */
  readonly activeKekId: string;
  seal(input: SealInput): Promise<SealedRecord>;
  open(record: SealedRecord, context: RecordContext): Promise<Buffer>;
  /** New wrappedKey/kekId under `toKekId` (default: active); `ciphertext` and `algorithm` are returned as is. */
  rewrap(record: SealedRecord, context: RecordContext, toKekId?: string): Promise<SealedRecord>;
  /** True when the record is not wrapped under the active KEK: the rotate command re-wraps those rows. */
  needsRewrap(record: SealedRecord): boolean;
  /**
   * The active KEK's id exactly as records store it. Equal to `activeKekId` except with an alias or a
   * bare key id in `VAULT_KMS_KEY_ID`: then one KMS Encrypt learns the key ARN (once per vault).
   */
  resolveActiveKekId(): Promise<string>;
};

export type CreateVaultOptions = {
  /** Extra AWS SDK client settings for aws-kms (credentials, maxAttempts). */
  kmsClient?: Partial<KMSClientConfig>;
};

function configError(issues: ConfigIssue[]): never {
  throw new ConfigError('vault', issues);
}

function createProvider(config: VaultConfig, options: CreateVaultOptions): KeyProvider {
  if (config.VAULT_PROVIDER === 'aws-kms') {
    const keyId = config.VAULT_KMS_KEY_ID;
    const region = config.VAULT_KMS_REGION ?? kmsRegionOf(keyId);
    const issues: ConfigIssue[] = [];
    if (!keyId)
      issues.push({ variable: 'VAULT_KMS_KEY_ID', problem: 'is required when VAULT_PROVIDER=aws-kms' });
    if (!region)
      issues.push({
        variable: 'VAULT_KMS_REGION',
        problem: 'is required unless VAULT_KMS_KEY_ID is a key ARN',
      });
    if (!keyId || !region) configError(issues);
    return createKmsProvider({
      keyId,
      region,
      ...(config.VAULT_KMS_ENDPOINT ? { endpoint: config.VAULT_KMS_ENDPOINT } : {}),
      ...(options.kmsClient ? { client: options.kmsClient } : {}),
    });
  }
  if (config.VAULT_LOCAL_KEYS && config.VAULT_LOCAL_KEYS_FILE) {
    configError([
      { variable: 'VAULT_LOCAL_KEYS', problem: 'and VAULT_LOCAL_KEYS_FILE are both set; set only one' },
    ]);
  }
  if (config.VAULT_LOCAL_KEYS) return createLocalProvider(parseLocalKeys(config.VAULT_LOCAL_KEYS));
  if (config.VAULT_LOCAL_KEYS_FILE)
    return createLocalProvider(readLocalKeyFile(config.VAULT_LOCAL_KEYS_FILE));
  return configError([
    {
      variable: 'VAULT_LOCAL_KEYS_FILE',
      problem:
        'no local key-encryption key is configured (VAULT_PROVIDER=local): set VAULT_LOCAL_KEYS or VAULT_LOCAL_KEYS_FILE; ' +
        'ensureLocalKeyFile(path) creates a key file for a local run',
    },
  ]);
}

function checkRecord(record: SealedRecord, context: RecordContext): void {
  const fine =
    typeof record === 'object' &&
    record !== null &&
    Buffer.isBuffer(record.wrappedKey) &&
    record.wrappedKey.length > 0 &&
    typeof record.kekId === 'string' &&
    record.kekId !== '' &&
    typeof record.algorithm === 'string';
  if (!fine)
    throw new VaultError(
      'MALFORMED_RECORD',
      'Record is missing its wrapped key, KEK id or algorithm',
      context,
    );
  checkDataFormat(record.algorithm, record.ciphertext, context);
}

/** The envelope: a fresh data key per record, wrapped by the provider's KEK. See README for formats. */
export function createVault(config: VaultConfig, options: CreateVaultOptions = {}): Vault {
  const provider = createProvider(config, options);

  const unwrapDataKey = async (record: SealedRecord, context: RecordContext): Promise<Buffer> => {
    const dataKey = await provider.unwrap(record.wrappedKey, record.kekId, context);
    if (dataKey.length !== DATA_KEY_BYTES) {
      dataKey.fill(0);
      throw new VaultError('DECRYPT_FAILED', `Unwrapped data key has ${dataKey.length} bytes`, context);
    }
    return dataKey;
  };

  return {
    provider: provider.name,
    activeKekId: provider.activeKekId,

    async seal({ plaintext, context }) {
      const checked = checkContext(context);
      if (!Buffer.isBuffer(plaintext) || plaintext.length === 0) {
        throw new VaultError(
          'INVALID_PLAINTEXT',
          'Refusing to seal an empty or non-Buffer plaintext',
          checked,
        );
      }
      const dataKey = randomBytes(DATA_KEY_BYTES);
      try {
        const ciphertext = encryptData(dataKey, plaintext, checked);
        const { wrappedKey, kekId } = await provider.wrap(dataKey, checked);
        return { ciphertext, wrappedKey, kekId, algorithm: DATA_ALGORITHM };
      } finally {
        dataKey.fill(0);
      }
    },

    async open(record, context) {
      const checked = checkContext(context);
      checkRecord(record, checked);
      const dataKey = await unwrapDataKey(record, checked);
      try {
        return decryptData(dataKey, record.ciphertext, checked);
      } finally {
        dataKey.fill(0);
      }
    },

    async rewrap(record, context, toKekId) {
      const checked = checkContext(context);
      checkRecord(record, checked);
      const dataKey = await unwrapDataKey(record, checked);
      try {
        // Authenticate the ciphertext too: rotation must not re-bless a corrupted or swapped row.
        decryptData(dataKey, record.ciphertext, checked).fill(0);
        const { wrappedKey, kekId } = await provider.wrap(dataKey, checked, toKekId);
        return { ciphertext: record.ciphertext, wrappedKey, kekId, algorithm: record.algorithm };
      } finally {
        dataKey.fill(0);
      }
    },

    needsRewrap: (record) => !provider.isActive(record.kekId),
    resolveActiveKekId: () => provider.resolveActiveKekId(),
  };
}
