/** The one table from error code to HTTP status and a user-safe title. Every API error comes from here. */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  MALFORMED_URL: { status: 400, title: 'The request path is not valid percent-encoded UTF-8' },
  UNSTORABLE_TEXT: {
    status: 400,
    title: 'The request holds text that cannot be stored (a NUL character or a lone UTF-16 surrogate)',
  },
  RESERVED_KEY: {
    status: 400,
    title: 'The request uses a reserved object key (__proto__, constructor, prototype)',
  },
  INVALID_HEADER: { status: 400, title: 'A request header is not valid' },
  BAD_REQUEST: { status: 400, title: 'The request could not be read' },
  INVALID_CURSOR: { status: 400, title: 'The paging cursor is not valid' },
  DUPLICATE_SERIALS: { status: 400, title: 'The batch lists some serial numbers more than once' },
  UNAUTHENTICATED: { status: 401, title: 'A valid API key is required' },
  SESSION_EXPIRED: { status: 401, title: 'The console session ended; sign in again' },
  SIGNATURE_MISSING: {
    status: 401,
    title:
      'Station requests must carry an HTTP Message Signature (RFC 9421) made with the station signing key',
  },
  SIGNATURE_INVALID: { status: 401, title: 'The request signature does not verify with this station key' },
  SIGNATURE_STALE: {
    status: 401,
    title: 'The request signature is older than 5 minutes, or dated in the future',
  },
  SIGNATURE_REPLAYED: { status: 401, title: 'This request signature (nonce) was already used' },
  CONTENT_DIGEST_MISMATCH: { status: 401, title: 'The Content-Digest does not match the request body' },
  FORBIDDEN: { status: 403, title: 'This API key may not do this' },
  STATION_REVOKED: { status: 403, title: 'This station is revoked' },
  STATION_KEY_PENDING: {
    status: 403,
    title: 'This station key replacement waits for an ADMIN to approve it (compare fingerprints)',
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    title: 'The X-CSRF-Token header is missing or does not match the session',
  },
  NOT_A_STATION: { status: 403, title: 'This endpoint needs a STATION key that belongs to a station' },
  STATION_NOT_ASSIGNED: { status: 403, title: 'This station is not assigned to the batch of this unit' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  BATCH_NOT_FOUND: { status: 404, title: 'No such batch' },
  DEVICE_NOT_FOUND: { status: 404, title: 'No such device' },
  STATION_NOT_FOUND: { status: 404, title: 'No such station' },
  NOT_ACCEPTABLE: { status: 406, title: 'No acceptable representation' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  SERIALS_EXIST: { status: 409, title: 'Some serial numbers already exist' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'This Idempotency-Key was used for another request' },
  BATCH_NOT_OPEN: { status: 409, title: 'The batch is finished or cancelled' },
  NO_FAILED_DEVICES: { status: 409, title: 'The batch has no failed devices' },
  INVALID_DEVICE_STATE: { status: 409, title: 'The device is not in a state that allows this' },
  DEVICE_JOB_LIVE: {
    status: 409,
    title: 'A provisioning job will still run this unit (waiting, delayed or active); nothing to requeue',
  },
  NO_ACTIVE_CERTIFICATE: { status: 409, title: 'The device has no active certificate' },
  NO_PENDING_KEY: { status: 409, title: 'The station has no key replacement waiting for approval' },
  FINGERPRINT_MISMATCH: {
    status: 409,
    title: 'The fingerprints given are not those of the pending key replacement',
  },
  API_KEY_NOT_FOUND: { status: 404, title: 'No such API key' },
  STATION_EXISTS: { status: 409, title: 'A station with this name exists' },
  STATION_NO_PUBLIC_KEY: {
    status: 409,
    title: 'The station has not registered its public key (run claimline-station init)',
  },
  DEVICE_NOT_PROVISIONED: { status: 409, title: 'The unit is not provisioned yet' },
  DEVICE_ALREADY_BURNED: { status: 409, title: 'The unit is already burned' },
  DEVICE_DOWNLOADED_BY_OTHER_STATION: {
    status: 409,
    title: 'Another station downloaded this unit; an admin must reassign it',
  },
  DEVICE_NOT_DOWNLOADED: { status: 409, title: 'This station has not downloaded the unit' },
  CSR_NOT_EXPECTED: {
    status: 409,
    title: "This unit's batch is not device-csr: its key is not born in the unit, so it takes no CSR",
  },
  CSR_ALREADY_RECEIVED: {
    status: 409,
    title: 'This unit already sent its CSR; an ADMIN reprovisions it before it may send another',
  },
  DEVICE_AWAITING_CSR: {
    status: 409,
    title: 'This unit waits for its CSR: the station sends it (POST /v1/station/devices/{serial}/csr)',
  },
  CSR_TOO_LARGE: { status: 413, title: 'The CSR is larger than this server accepts (API_CSR_MAX_BYTES)' },
  CSR_MALFORMED: { status: 422, title: 'The CSR is not one PEM PKCS#10 certificate request' },
  CSR_KEY_TYPE_NOT_ALLOWED: {
    status: 422,
    title: 'The CSR key type is not allowed here (API_CSR_KEY_TYPES: EC P-256, RSA-2048)',
  },
  CSR_SIGNATURE_INVALID: { status: 422, title: "The CSR's self-signature does not verify with its key" },
  CSR_SUBJECT_MISMATCH: { status: 422, title: "The CSR subject is not CN=<the unit's serial>" },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'The request body has a media type this endpoint does not take',
  },
  INVALID_UPLOAD: { status: 400, title: 'The uploaded device list could not be parsed' },
  UNKNOWN_TEMPLATE: { status: 422, title: 'The provisioning template is not allowed here' },
  TEMPLATE_PARAMETERS_INVALID: { status: 422, title: 'The template parameters do not fit the template' },
  BATCH_TOO_LARGE: { status: 422, title: 'The batch has more devices than one request may carry' },
  INVALID_PUBLIC_KEY: {
    status: 422,
    title: 'The station public key must be an SPKI PEM X25519 or P-256 key',
  },
  INVALID_SIGNING_KEY: {
    status: 422,
    title: 'The station signing key must be an SPKI PEM Ed25519 or P-256 key',
  },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request line or headers are too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this API key' },
  RATE_LIMITED_ADDRESS: { status: 429, title: 'Too many unauthenticated requests from this address' },
  TOO_MANY_STREAMS: { status: 429, title: 'This API key holds as many event streams as it may' },
  INTERNAL: { status: 500, title: 'Internal error' },
  QUEUE_UNAVAILABLE: { status: 503, title: 'The job queue is unavailable' },
  NOT_READY: { status: 503, title: 'A dependency is not ready' },
  DATABASE_BUSY: { status: 503, title: 'The database is busy; retry shortly' },
  CONTROL_PLANE_UNAVAILABLE: {
    status: 503,
    title: 'No AWS IoT control plane is configured here, or it did not answer',
  },
  KEY_SERVICE_UNAVAILABLE: { status: 503, title: 'The key service (AWS KMS) did not answer; retry shortly' },
  CREDENTIALS_UNAVAILABLE: {
    status: 503,
    title: 'The server cannot hand out credentials (vault or device CA not configured)',
  },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function problemType(code: ErrorCode): string {
  return `urn:claimline:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}
