import type { RecordContext } from '../record-context.js';

export type WrapResult = { wrappedKey: Buffer; kekId: string };

/**
 * A source of key-encryption keys. Each provider binds the record context to the wrapped key its
 * own way (local: GCM authenticated data; KMS: EncryptionContext), so a wrapped key copied to
 * another row does not unwrap. Kek ids are provider-qualified (`local:k2`, `aws-kms:<ARN>`).
 */
export type KeyProvider = {
  readonly name: 'local' | 'aws-kms';
  /** The KEK new records are wrapped under. */
  readonly activeKekId: string;
  wrap(dataKey: Buffer, context: RecordContext, kekId?: string): Promise<WrapResult>;
  unwrap(wrappedKey: Buffer, kekId: string, context: RecordContext): Promise<Buffer>;
  /** True when a record wrapped under `kekId` needs no re-wrap (it is under the active KEK). */
  isActive(kekId: string): boolean;
  /** The active KEK's id as records store it (KMS: the key ARN, learned from KMS if an alias is configured). */
  resolveActiveKekId(): Promise<string>;
};
