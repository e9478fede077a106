export { EMULATED_ACCOUNT_ID, EMULATED_REGION } from './aws-account.js';
export {
  planProvisioning,
  type CertificateFacts,
  type CertificateStatus,
  type Policy,
  type ProvisioningPlan,
  type ThingPlan,
} from './template-engine.js';
export { TemplateEvaluationError, type TemplateErrorCode } from './template-error.js';
export { loadTemplates } from './template-loader.js';
export type {
  OverrideAction,
  ProvisioningTemplate,
  TemplateParameter,
  TemplateResource,
} from './template-types.js';
export {
  MAX_TEMPLATE_BODY,
  TEMPLATE_NAME,
  TemplateValidationError,
  validateTemplate,
} from './template-validator.js';
