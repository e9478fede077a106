export type StationCryptoErrorCode =
  'UNSUPPORTED_KEY' | 'MALFORMED_PAYLOAD' | 'LEGACY_PAYLOAD' | 'OPEN_FAILED' | 'INVALID_BINDING';

/** Messages name the unit and the problem, never key material. */
export class StationCryptoError extends Error {
  readonly code: StationCryptoErrorCode;

  constructor(code: StationCryptoErrorCode, message: string) {
    super(message);
    this.name = 'StationCryptoError';
    this.code = code;
  }
}
