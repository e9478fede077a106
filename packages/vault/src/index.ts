export { createVault, type Vault, type SealInput, type CreateVaultOptions } from './create-vault.js';
export { VaultError, type VaultErrorCode } from './vault-error.js';
export {
  PURPOSES,
  serverSigningKeyContext,
  type Purpose,
  type RecordContext,
  type SealedRecord,
} from './record-context.js';
export { DATA_ALGORITHM } from './envelope.js';
export {
  addLocalKey,
  ensureLocalKeyFile,
  removeLocalKey,
  parseLocalKeys,
  readLocalKeyFile,
  type LocalKeySet,
} from './providers/local-keys.js';
export { encryptionContext, kmsRegionOf } from './providers/kms-provider.js';
export type { KeyProvider, WrapResult } from './providers/key-provider.js';
export {
  derToP1363,
  openKmsSigningKey,
  type KmsSigningKey,
  type KmsSigningKeyOptions,
} from './providers/kms-signing-key.js';
