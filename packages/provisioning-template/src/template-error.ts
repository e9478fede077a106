/** AWS's codes for a template that cannot be run with the given parameters (both answer 400). */
export type TemplateErrorCode = 'InvalidParameters' | 'TemplateProcessingFailure';

/** A template that cannot be evaluated: the emulator answers it as AWS would, the worker reports it. */
export class TemplateEvaluationError extends Error {
  constructor(
    readonly errorCode: TemplateErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateEvaluationError';
  }
}
