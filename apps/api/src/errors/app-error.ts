import { ERROR_CODES, type ErrorCode } from './codes.js';

/**
 * The only error type handlers throw on purpose. `detail` and `extras` reach the client, so they must
 * never carry key material or internal state.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extras: Record<string, unknown>;

  constructor(code: ErrorCode, detail?: string, extras: Record<string, unknown> = {}) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extras = extras;
  }
}
