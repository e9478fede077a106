import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
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

export function validationError(error: ZodError, location: string): AppError {
  const issues = error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: [location, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
    code: issue.code,
  }));
  return new AppError('VALIDATION_FAILED', `${error.issues.length} problem(s) in the request ${location}`, {
    issues,
    truncated: error.issues.length > MAX_ISSUES,
  });
}

/** body-parser's errors carry a `type`; map them to our codes. */
function fromBodyParser(error: { type?: string; status?: number }): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset');
    default:
      return undefined;
  }
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
      fromBodyParser(error as { type?: string }) ??
      new AppError('INTERNAL', 'internal error; see the server log with this request id');
  if (appError.code === 'INTERNAL') req.log?.error({ err: error }, 'unhandled error');
  sendProblem(res, appError);
};
