import { z } from 'zod';
import { secretUrl } from '../fields.js';
import { DEFAULT_DATABASE_URL, DEFAULT_MIGRATION_DATABASE_URL, databaseFields } from './common.js';

/** The CLIs that need only the database (keys-cli) and the test helpers. */
export const databaseSchema = z.object({ ...databaseFields });

export type DatabaseConfig = z.output<typeof databaseSchema>;

/**
 * The migration command: DDL as the owner (MIGRATION_DATABASE_URL); DATABASE_URL names the role the
 * application logs in as, which `deploy` makes a member of claimline_app. Both or neither: a
 * DATABASE_URL alone is what a migration job held before the two roles, and would otherwise send the
 * migrations to the local default server.
 */
export const migrateSchema = z
  .object({
    MIGRATION_DATABASE_URL: secretUrl(['postgres', 'postgresql'])
      .prefault(DEFAULT_MIGRATION_DATABASE_URL)
      .describe(
        "Migrations: PostgreSQL connection URL of the database owner, which applies the migrations (DDL); `claimline-migrate deploy` then makes DATABASE_URL's role a login member of claimline_app",
      ),
    ...databaseFields,
  })
  .superRefine((config, ctx) => {
    const migrationUnset = config.MIGRATION_DATABASE_URL.reveal() === DEFAULT_MIGRATION_DATABASE_URL;
    if (migrationUnset && config.DATABASE_URL.reveal() !== DEFAULT_DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['MIGRATION_DATABASE_URL'],
        message:
          'is not set while DATABASE_URL is: migrations run as the database owner (MIGRATION_DATABASE_URL), the application as its own role (DATABASE_URL); set both (docs/operations.md, "Database roles")',
      });
    }
  });

export type MigrateConfig = z.output<typeof migrateSchema>;
