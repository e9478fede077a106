/** A rejection as AWS publishes it on a `…/rejected` topic. */
export type Rejection = { statusCode: number; errorCode: string; errorMessage: string };

export const REJECTIONS = {
  InvalidPayload: 400,
  InvalidCsr: 400,
  InvalidCertificateOwnershipToken: 400,
  InvalidParameters: 400,
  TemplateProcessingFailure: 400,
  ResourceConflict: 409,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ThrottlingException: 429,
  InternalFailure: 500,
} as const;

export type RejectionCode = keyof typeof REJECTIONS;

/** Thrown by handlers; the router turns it into a rejection. One code → status table, above. */
export class ProvisioningError extends Error {
  constructor(
    readonly errorCode: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProvisioningError';
  }

  toRejection(): Rejection {
    return { statusCode: REJECTIONS[this.errorCode], errorCode: this.errorCode, errorMessage: this.message };
  }
}
