/** The ledger's own failures: typed, free of HTTP, queue or SDK notions. */

/** A newer attempt holds the device (this attempt's fence was taken): the caller stops at once. */
export class FencedOut extends Error {
  constructor(readonly deviceId: string) {
    super(`device ${deviceId} is being provisioned by a newer attempt`);
    this.name = 'FencedOut';
  }
}

/**
 * AWS activated a certificate for a device that another run registered meanwhile (only possible if
 * a run outlived its lease). Permanent and loud: an operator revokes the extra certificate.
 */
export class RegistrationConflict extends Error {
  readonly retryable = false;
  readonly code = 'RegistrationConflict';
  constructor(readonly certificateId: string) {
    super(
      `certificate ${certificateId} was activated by AWS but the device was registered by another run; revoke it`,
    );
    this.name = 'RegistrationConflict';
  }
}

/** A provisioning failure as the device records it (`last_error_*`). */
export type FailureRecord = { code: string; message: string; retryable: boolean; statusCode?: number };
