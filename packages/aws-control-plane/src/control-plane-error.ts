/**
 * What a control-plane call's failure means to its caller, whatever AWS named it:
 * - `not-found`: the certificate, thing or policy does not exist (for a delete: already done);
 * - `throttled`: AWS's own quota (429 ThrottlingException, or LimitExceeded) — retry later;
 * - `invalid-state`: CertificateStateException (e.g. deleting an ACTIVE certificate, reactivating a REVOKED one);
 * - `conflict`: DeleteConflictException, VersionConflictException, ResourceAlreadyExistsException;
 * - `denied`: the credentials are missing, wrong or not allowed the action (401/403) — a configuration fault;
 * - `invalid-request`: any other 4xx (a malformed id or principal) — permanent;
 * - `unavailable`: 5xx, time-out, connection refused or reset — retry later.
 */
export type ControlPlaneErrorKind =
  'not-found' | 'throttled' | 'invalid-state' | 'conflict' | 'denied' | 'invalid-request' | 'unavailable';

const RETRYABLE: ReadonlySet<ControlPlaneErrorKind> = new Set(['throttled', 'unavailable']);

export class ControlPlaneError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: ControlPlaneErrorKind,
    readonly operation: string,
    /** AWS's error type (`ResourceNotFoundException`, …) or the network error's code. */
    readonly awsCode: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(`${operation}: ${awsCode}: ${message}`);
    this.name = 'ControlPlaneError';
    this.retryable = RETRYABLE.has(kind);
  }
}

const BY_NAME: Record<string, ControlPlaneErrorKind> = {
  ResourceNotFoundException: 'not-found',
  ThrottlingException: 'throttled',
  LimitExceededException: 'throttled',
  TooManyRequestsException: 'throttled',
  CertificateStateException: 'invalid-state',
  DeleteConflictException: 'conflict',
  VersionConflictException: 'conflict',
  ResourceAlreadyExistsException: 'conflict',
  UnauthorizedException: 'denied',
  AccessDeniedException: 'denied',
  InvalidSignatureException: 'denied',
  IncompleteSignatureException: 'denied',
  MissingAuthenticationTokenException: 'denied',
  UnrecognizedClientException: 'denied',
  ExpiredTokenException: 'denied',
  CredentialsProviderError: 'denied',
  InvalidRequestException: 'invalid-request',
  ServiceUnavailableException: 'unavailable',
  InternalFailureException: 'unavailable',
  InternalException: 'unavailable',
  TimeoutError: 'unavailable',
};

type SdkError = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
};

/** Maps whatever the SDK threw (a modelled exception, a network error, a time-out) to a ControlPlaneError. */
export function toControlPlaneError(operation: string, error: unknown): ControlPlaneError {
  if (error instanceof ControlPlaneError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : name;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  const kind =
    BY_NAME[name] ??
    (status === 429
      ? 'throttled'
      : status === 401 || status === 403
        ? 'denied'
        : status === 404
          ? 'not-found'
          : status !== undefined && status >= 400 && status < 500
            ? 'invalid-request'
            : 'unavailable');
  return new ControlPlaneError(kind, operation, code, message, status);
}
