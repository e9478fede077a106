export { Secret } from './secret.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { loadConfig, describeSchema, type EnvSchema, type Env } from './load-config.js';
export * as fields from './fields.js';
export { databaseFields, redisFields, logFields, stateDirFields } from './apps/common.js';
export { databaseSchema, migrateSchema, type DatabaseConfig, type MigrateConfig } from './apps/database.js';
export {
  vaultFields,
  vaultSchema,
  vaultCliSchema,
  type VaultConfig,
  type VaultCliConfig,
} from './apps/vault.js';
export { testSuiteSchema } from './apps/test-suite.js';
export { claimFields, claimSchema, type ClaimConfig } from './apps/claim.js';
export {
  apiFields,
  apiSchema,
  allowedTemplatesSchema,
  type ApiConfig,
  type AllowedTemplates,
} from './apps/api.js';
export { envSchemas } from './env-schemas.js';
export { renderEnvTable, replaceEnvTable, ENV_TABLE_START, ENV_TABLE_END } from './env-table.js';
export { workerFields, workerSchema, type WorkerConfig } from './apps/worker.js';
export { emulatorFields, emulatorSchema, type EmulatorConfig } from './apps/emulator.js';
export { stationFields, stationSchema, type StationConfig } from './apps/station.js';
export { controlPlaneFields, controlPlaneSchema, type ControlPlaneConfig } from './apps/control-plane.js';
export { reconcileCliSchema, type ReconcileCliConfig } from './apps/reconcile.js';
