import type { RecordContext } from './record-context.js';

export type VaultErrorCode =
  /** The record's kek id is not configured in this provider (removed too early, or another provider's id). */
  | 'UNKNOWN_KEK'
  /** Authentication failed: tampered bytes, the wrong record's context, or the wrong key. */
  | 'DECRYPT_FAILED'
  /** The algorithm column or the version byte names a format this build cannot read. */
  | 'UNSUPPORTED_ALGORITHM'
  /** The record is structurally broken (too short, empty column). */
  | 'MALFORMED_RECORD'
  /** The serial, certificate id or purpose is missing or invalid; nothing was encrypted or decrypted. */
  | 'INVALID_CONTEXT'
  /** The plaintext to seal is empty, which is always a bug upstream (a lost key or token). */
  | 'INVALID_PLAINTEXT'
  /** KMS could not be reached or answered with a server-side or throttling error: retry later. */
  | 'KMS_UNAVAILABLE'
  /** KMS refused the credentials or the key policy denies the call: an operator must act. */
  | 'KMS_ACCESS_DENIED'
  /** KMS rejected the request for another client-side reason (disabled key, invalid key state, …). */
  | 'KMS_REJECTED';

const RETRYABLE: ReadonlySet<VaultErrorCode> = new Set(['KMS_UNAVAILABLE']);

/** How a record is named in messages: never an empty string, never a value beyond the three identifiers. */
export function describeRecord(context: Partial<Record<keyof RecordContext, unknown>> | undefined): string {
  const show = (value: unknown): string => {
    if (value === undefined || value === null) return '(missing)';
    if (typeof value !== 'string') return `(not a string: ${typeof value})`;
    if (value === '') return '(empty)';
    return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  };
  return `serial ${show(context?.serial)}, certificate ${show(context?.certificateId)}, purpose ${show(context?.purpose)}`;
}

/**
 * Every failure of the vault. The message names the record (serial, certificate id, purpose) and
 * never contains plaintext or key material; `code` is for programs, `retryable` for job runners.
 */
export class VaultError extends Error {
  readonly code: VaultErrorCode;
  readonly record: string;

  constructor(
    code: VaultErrorCode,
    detail: string,
    context: Partial<Record<keyof RecordContext, unknown>> | undefined,
  ) {
    const record = describeRecord(context);
    super(`${detail} [${code}; record: ${record}]`);
    this.name = 'VaultError';
    this.code = code;
    this.record = record;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}
