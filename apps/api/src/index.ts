export { createApp, type ClaimlineApp } from './app.js';
export type { AppDeps } from './deps.js';
export { createApiKey, revokeApiKey, type CreateApiKeyInput, type CreatedApiKey } from './auth/api-key.js';
export { ERROR_CODES, type ErrorCode } from './errors/codes.js';
export { AppError } from './errors/app-error.js';
export { answerClientErrors } from './http/client-error.js';
