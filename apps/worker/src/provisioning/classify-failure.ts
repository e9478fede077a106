import { redactSecretsInText } from '@claimline/logger';
import type { ClaimFailure } from './claim-port.js';

type FailureLike = {
  name?: string;
  message?: string;
  retryable?: boolean;
  statusCode?: number;
  errorCode?: string;
  code?: string | number;
};

/**
 * One verdict per failure: AWS's rejections carry statusCode/errorCode (4xx permanent except 429),
 * our own typed errors carry `retryable`, and anything unknown (a database hiccup, a bug) is retried:
 * a retry costs a little time, a wrong FAILED costs a unit on the line.
 */
export function classifyFailure(error: unknown): ClaimFailure {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as FailureLike;
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = e.errorCode ?? (typeof e.code === 'string' ? e.code : undefined) ?? e.name ?? 'Error';
  const throttled = statusCode === 429 || /Throttl/i.test(code);
  let retryable: boolean;
  if (typeof e.retryable === 'boolean') retryable = e.retryable;
  else if (statusCode !== undefined) retryable = statusCode === 429 || statusCode >= 500;
  else retryable = true;
  const message = redactSecretsInText(e.message ?? String(error)).slice(0, 1_000);
  return {
    code,
    message,
    retryable: retryable || throttled,
    throttled,
    ...(statusCode !== undefined ? { statusCode } : {}),
  };
}
