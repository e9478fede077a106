import { redactSecretsInText } from '@claimline/logger';

/**
 * Every failure of a claim operation is one of these three; `retryable` tells a job runner whether
 * trying again can help (BullMQ: throw `UnrecoverableError` when it is false). Messages never carry a
 * private key or an ownership token: they are built from AWS's error fields, scrubbed, never from payloads.
 */
export abstract class ClaimError extends Error {
  abstract readonly retryable: boolean;
  readonly operation: string;

  protected constructor(operation: string, message: string) {
    super(message);
    this.operation = operation;
  }
}

/** AWS answered on the `…/rejected` topic. 4xx is permanent except 429; 429 and 5xx are retryable. */
export class ClaimRejectedError extends ClaimError {
  readonly statusCode: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly retryable: boolean;

  constructor(
    operation: string,
    rejection: { statusCode: number; errorCode: string; errorMessage: string },
    secrets: readonly string[] = [],
  ) {
    const errorMessage = scrub(rejection.errorMessage, secrets);
    super(
      operation,
      `${operation} rejected: ${rejection.statusCode} ${rejection.errorCode}: ${errorMessage}`,
    );
    this.name = 'ClaimRejectedError';
    this.statusCode = rejection.statusCode;
    this.errorCode = rejection.errorCode;
    this.errorMessage = errorMessage;
    this.retryable = isRetryableStatus(rejection.statusCode);
  }
}

/** No answer within the operation time-out (AWS throttling often shows up like this). */
export class ClaimTimeoutError extends ClaimError {
  readonly retryable = true;
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    super(operation, `${operation}: no answer within ${timeoutMs} ms`);
    this.name = 'ClaimTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The connection dropped, refused an operation, or the pool is closing. Retryable unless said otherwise. */
export class ClaimConnectionError extends ClaimError {
  readonly retryable: boolean;

  constructor(operation: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(operation, `${operation}: ${scrub(message, [])}`);
    this.name = 'ClaimConnectionError';
    this.retryable = options.retryable ?? true;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 429 || statusCode >= 500 || !Number.isInteger(statusCode) || statusCode < 400;
}

/** Removes PEM private keys and the given secrets (the ownership token we sent) from foreign text. */
function scrub(text: string, secrets: readonly string[]): string {
  let result = redactSecretsInText(String(text));
  for (const secret of secrets) if (secret.length >= 8) result = result.split(secret).join('[redacted]');
  return result;
}
