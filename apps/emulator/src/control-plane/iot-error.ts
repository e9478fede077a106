import type { Response } from 'express';

/**
 * The error types the control plane answers with: the AWS IoT model's `@httpError` codes, plus the
 * front end's authentication refusals (403, not in the model; the SDK throws them as
 * `IoTServiceException` named after the type).
 */
export const IOT_ERRORS = {
  InvalidRequestException: 400,
  MalformedPolicyException: 400,
  ResourceNotFoundException: 404,
  CertificateStateException: 406,
  DeleteConflictException: 409,
  VersionConflictException: 409,
  ResourceAlreadyExistsException: 409,
  ThrottlingException: 429,
  InternalFailureException: 500,
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  /** Not AWS's: a method and path that is none of the emulated operations. */
  UnknownOperationException: 404,
} as const;

export type IotErrorType = keyof typeof IOT_ERRORS;

/** Thrown by handlers; `sendIotError` writes it as AWS does (x-amzn-ErrorType header and JSON body). */
export class IotError extends Error {
  constructor(
    readonly type: IotErrorType,
    message: string,
    /** Extra modelled members (ResourceAlreadyExistsException: resourceId, resourceArn). */
    readonly members: Record<string, string> = {},
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidRequest = (message: string) => new IotError('InvalidRequestException', message);
export const notFound = (message: string) => new IotError('ResourceNotFoundException', message);

export function sendIotError(res: Response, error: IotError): void {
  res
    .status(IOT_ERRORS[error.type])
    .set('x-amzn-ErrorType', `${error.type}:`)
    .json({ ...error.members, message: error.message });
}
