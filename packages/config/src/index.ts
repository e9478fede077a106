export { Secret } from './secret.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { loadConfig, describeSchema, type EnvSchema, type Env } from './load-config.js';
export * as fields from './fields.js';
export { databaseFields, redisFields, logFields, stateDirFields } from './apps/common.js';
export { databaseSchema, type DatabaseConfig } from './apps/database.js';
export { vaultFields, vaultSchema, type VaultConfig } from './apps/vault.js';
export { envSchemas } from './env-schemas.js';
