import { ClaimConnectionError, ClaimError, ClaimRejectedError, ClaimTimeoutError } from './errors.js';

type Rejection = { statusCode: number; errorCode: string; errorMessage: string };

function asRejection(value: unknown): Rejection | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { statusCode, errorCode, errorMessage } = value as Record<string, unknown>;
  if (typeof statusCode !== 'number') return undefined;
  return {
    statusCode,
    errorCode: typeof errorCode === 'string' ? errorCode : 'Unknown',
    errorMessage: typeof errorMessage === 'string' ? errorMessage : '',
  };
}

/**
 * Maps what the SDK (or our CBOR path) rejected with to a typed claim error. A `ServiceError` with a
 * `modeledError` is AWS's `…/rejected` answer; anything else happened at the connection. The SDK's
 * own messages are used, never a payload, so no key or token can end up in the message.
 */
export function toClaimError(
  operation: string,
  error: unknown,
  secrets: readonly string[],
  timeoutMs: number,
): ClaimError {
  if (error instanceof ClaimError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    modeledError?: unknown;
    internalError?: unknown;
    message?: unknown;
  };
  const rejection = asRejection(fields.modeledError);
  if (rejection) return new ClaimRejectedError(operation, rejection, secrets);
  if (fields.modeledError !== undefined)
    return new ClaimConnectionError(operation, 'rejected answer without a status code');
  const internal = fields.internalError as { error?: unknown; message?: unknown } | undefined;
  const detail = String(internal?.error ?? internal?.message ?? fields.message ?? error);
  if (/TIMEOUT/i.test(detail)) return new ClaimTimeoutError(operation, timeoutMs);
  return new ClaimConnectionError(operation, `request failed: ${detail}`, { cause: error });
}
