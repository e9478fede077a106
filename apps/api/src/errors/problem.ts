import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { ConnectionWaitTimeout } from '@claimline/db';
import { VaultError } from '@claimline/vault';
import { AppError } from './app-error.js';
import { ERROR_CODES, problemType } from './codes.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const MAX_ISSUES = 100;

export type Problem = { type: string; title: string; status: number; detail: string; code: string } & Record<
  string,
  unknown
>;

export function toProblem(error: AppError, instance?: string): Problem {
  const { title, status } = ERROR_CODES[error.code];
  return {
    ...error.extras,
    type: problemType(error.code),
    title,
    status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
  };
}

export function sendProblem(res: Response, error: AppError): void {
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="claimline"');
  res
    .status(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(toProblem(error, res.req.originalUrl)));
}

export function validationError(
  error: ZodError,
  location: string,
  code: 'VALIDATION_FAILED' | 'INVALID_HEADER' = 'VALIDATION_FAILED',
): AppError {
  const issues = error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: [location, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
    code: issue.code,
  }));
  return new AppError(code, `${error.issues.length} problem(s) in the request ${location}`, {
    issues,
    truncated: error.issues.length > MAX_ISSUES,
  });
}

/**
 * Errors from the layers below the routes: body-parser's carry a `type`, the router's path decoding a
 * URIError with status 400. Any other client error they raise (status 4xx) is a 400 BAD_REQUEST, so a
 * request the framework refuses never answers 500.
 */
function fromFramework(error: unknown): AppError | undefined {
  const { type, status } = (error ?? {}) as { type?: string; status?: number };
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset');
  }
  if (error instanceof URIError && status === 400)
    return new AppError('MALFORMED_URL', 'a path segment is not valid percent-encoded UTF-8');
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new AppError('BAD_REQUEST', `the request could not be read (${type ?? status})`);
  return undefined;
}

/**
 * Prisma's transient refusals: no connection within the pool wait (P2024), a transaction that could not
 * start or outlived its time-out (P2028), a write conflict or deadlock (P2034). Overload, not a bug:
 * 503 with Retry-After, and the request can be repeated.
 */
const TRANSIENT_PRISMA_CODES = new Set(['P2024', 'P2028', 'P2034']);
/** Prisma's lost connections: unreachable (P1001), timed out (P1002, P1008), closed by the server (P1017). */
const LOST_CONNECTION_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
/**
 * The same from pg itself (statements sent on the pool directly): SQLSTATE class 08 (connection
 * exception), 57P01–57P03 (the server shut down or terminated the backend), or the socket's own error.
 */
const LOST_CONNECTION_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
function lostConnection(name: string | undefined, code: string | undefined, message: string | undefined) {
  if (message === 'Connection terminated unexpectedly') return true; // pg's pool, no code
  if (name?.startsWith('PrismaClient')) return code !== undefined && LOST_CONNECTION_PRISMA_CODES.has(code);
  return (
    code !== undefined &&
    (code.startsWith('08') || /^57P0[123]$/.test(code) || LOST_CONNECTION_SOCKET_CODES.has(code))
  );
}
export function fromDatabase(error: unknown): AppError | undefined {
  const {
    name,
    code: rawCode,
    message,
  } = (error ?? {}) as { name?: string; code?: unknown; message?: string };
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  if (error instanceof ConnectionWaitTimeout)
    return new AppError('DATABASE_BUSY', `${error.message} (a raw transaction); retry shortly`);
  if (name?.startsWith('PrismaClient') && code && TRANSIENT_PRISMA_CODES.has(code))
    return new AppError('DATABASE_BUSY', `the database did not answer in time (${code}); retry shortly`);
  if (lostConnection(name, code, message))
    return new AppError(
      'DATABASE_BUSY',
      `the database connection was lost (${code ?? message}); retry shortly`,
    );
  return undefined;
}

/**
 * The vault's failures on a request (opening a stored key, signing with a KMS key): KMS unreachable or
 * throttled is 503 with Retry-After; a refused KMS key (access denied, disabled, unknown KEK) is 503
 * CREDENTIALS_UNAVAILABLE for an operator to act on. A record that fails authentication stays INTERNAL.
 */
export function fromVault(error: unknown): AppError | undefined {
  if (!(error instanceof VaultError)) return undefined;
  // The client gets the vault's code only; the server log has the whole error (key ARN, KMS message).
  if (error.retryable)
    return new AppError(
      'KEY_SERVICE_UNAVAILABLE',
      `the key service did not answer (${error.code}); retry shortly`,
    );
  if (['KMS_ACCESS_DENIED', 'KMS_REJECTED', 'UNKNOWN_KEK'].includes(error.code))
    return new AppError(
      'CREDENTIALS_UNAVAILABLE',
      `the key service refused (${error.code}); see the server log`,
    );
  return undefined;
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

/** The single place errors become responses. Unknown errors are logged and hidden behind INTERNAL. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) return next(error);
  let appError: AppError;
  if (error instanceof AppError) appError = error;
  else if (error instanceof ZodError) appError = validationError(error, 'body');
  else
    appError =
      fromFramework(error) ??
      fromDatabase(error) ??
      fromVault(error) ??
      new AppError('INTERNAL', 'internal error; see the server log with this request id');
  if (appError.code === 'INTERNAL') req.log?.error({ err: error }, 'unhandled error');
  if (appError.code === 'CREDENTIALS_UNAVAILABLE' && error instanceof VaultError)
    req.log?.error({ err: error }, 'the key service refused');
  if (appError.code === 'DATABASE_BUSY' || appError.code === 'KEY_SERVICE_UNAVAILABLE') {
    req.log?.warn(
      { err: error },
      appError.code === 'DATABASE_BUSY' ? 'database busy' : 'key service unavailable',
    );
    res.setHeader('Retry-After', '1');
  }
  sendProblem(res, appError);
};
