export {
  ConnectionWaitTimeout,
  createPrismaClient,
  rawSqlOf,
  withRawTransaction,
  type CreatePrismaClientOptions,
  type RawSql,
  type RawTransactionOptions,
} from './client.js';
export {
  createNotificationListener,
  type NotificationListener,
  type NotificationListenerOptions,
} from './notify-listener.js';
export * from './generated/client.js';
export { deployMigrations, migrationStatus, diffMigrationsToSchema } from './migrations/migrator.js';
export {
  ensureDatabase,
  dropDatabase,
  createDatabase,
  databaseExists,
  withDatabaseName,
} from './admin-database.js';
export {
  APP_GROUP_ROLE,
  AppRoleError,
  ensureAppLoginRole,
  scramVerifier,
  type AppRoleErrorCode,
  type AppRoleOutcome,
} from './app-role.js';
