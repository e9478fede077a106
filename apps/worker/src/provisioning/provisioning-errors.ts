/** Failures the provisioning service raises itself (AWS's own rejections come from the claim client). */

/** Will not get better by retrying: the job fails at once and the device becomes FAILED. */
export class PermanentProvisioningError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentProvisioningError';
  }
}

/**
 * The saved certificate's ownership token was refused (expired, or already spent by an attempt whose
 * answer was lost). The certificate is now ORPHANED; the next attempt creates a fresh one.
 */
export class TokenExpiredError extends Error {
  readonly retryable = true;
  readonly code = 'OwnershipTokenRefused';
  constructor(readonly certificateId: string) {
    super(`ownership token of certificate ${certificateId} was refused; a new certificate will be created`);
    this.name = 'TokenExpiredError';
  }
}

/**
 * RegisterThing was sent for this certificate and its outcome is not known: the answer was lost and
 * the re-sent token was refused, and a connect probe did not prove the registration. No new
 * certificate is issued while this holds; the job retries the resolution later (docs/worker.md).
 */
export class RegistrationUnknownError extends Error {
  readonly retryable = true;
  readonly code = 'RegistrationOutcomeUnknown';
  constructor(
    readonly certificateId: string,
    reason: string,
  ) {
    super(
      `RegisterThing outcome of certificate ${certificateId} is unknown (${reason}); no new certificate until it is resolved`,
    );
    this.name = 'RegistrationUnknownError';
  }
}

/** The verification CONNECT neither succeeded nor was refused: retried later. */
export class VerifyConnectUnknownError extends Error {
  readonly retryable = true;
  readonly code = 'VerifyConnectUnknown';
  constructor(thingName: string, reason: string) {
    super(`verification connect as ${thingName} proved nothing (${reason}); will retry`);
    this.name = 'VerifyConnectUnknownError';
  }
}
