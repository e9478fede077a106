/** Problems an operator can act on; `message` is the line shown on the station, never key material. */
export type StationErrorCode =
  | 'UNKNOWN_SERIAL'
  | 'NOT_PROVISIONED'
  | 'ALREADY_BURNED'
  | 'OTHER_STATION'
  | 'NOT_ASSIGNED'
  | 'NO_PUBLIC_KEY'
  | 'SERVER_UNREACHABLE'
  | 'SERVER_ERROR'
  | 'REJECTED'
  | 'NOT_IN_OFFLINE_STORE'
  | 'VERIFY_FAILED'
  | 'BURN_FAILED'
  | 'NOT_INITIALISED'
  | 'BAD_KEY'
  | 'BAD_DEVICE_ISSUER_CA'
  | 'KEY_PENDING'
  | 'REVOKED'
  | 'SIGNATURE_REFUSED'
  | 'INSECURE_SERVER'
  | 'BUNDLE_REFUSED'
  | 'AWAITING_CSR'
  | 'UNIT_FAILED'
  | 'CSR_COMMAND_FAILED'
  | 'WRITE_CERT_FAILED'
  | 'CERTIFICATE_TIMEOUT'
  | 'OFFLINE_REFUSED';

export class StationError extends Error {
  readonly code: StationErrorCode;

  constructor(code: StationErrorCode, message: string) {
    super(message);
    this.name = 'StationError';
    this.code = code;
  }
}
