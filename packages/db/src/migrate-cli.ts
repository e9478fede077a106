#!/usr/bin/env node
// claimline-migrate: Prisma migrations on the wasm schema engine. See README, "Migrations".
import { loadConfig, migrateSchema } from '@claimline/config';
import pg from 'pg';
import { ensureDatabase, withScratchDatabase } from './admin-database.js';
import { ensureAppLoginRole, type AppRoleOutcome } from './app-role.js';
import {
  createMigration,
  deployMigrations,
  diffMigrationsToSchema,
  migrationStatus,
} from './migrations/migrator.js';

const USAGE = `usage: claimline-migrate <command>
  deploy        create the database if missing, apply pending migrations (= prisma migrate deploy) as
                MIGRATION_DATABASE_URL's role, then make DATABASE_URL's role a login member of claimline_app
  status        list applied and pending migrations
  new <name>    write prisma/migrations/<timestamp>_<name>/ from the change in schema.prisma
  check         fail if the migrations folder does not produce exactly schema.prisma`;

const APP_ROLE_MESSAGES: Record<AppRoleOutcome['action'], (role: string) => string> = {
  created: (role) => `application role ${role}: created, member of claimline_app`,
  granted: (role) => `application role ${role}: now a member of claimline_app`,
  unchanged: (role) => `application role ${role}: member of claimline_app`,
  'same-role': (role) =>
    `warning: DATABASE_URL names the migration role ${role}: the application would run as the owner`,
};

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  const config = loadConfig('migrate', migrateSchema);
  const databaseUrl = config.MIGRATION_DATABASE_URL.reveal();
  switch (command) {
    case 'deploy': {
      if (await ensureDatabase(databaseUrl)) console.log('created the database');
      const applied = await deployMigrations(databaseUrl);
      console.log(
        applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'no pending migrations',
      );
      const appRole = await ensureAppLoginRole(databaseUrl, config.DATABASE_URL.reveal());
      console.log(APP_ROLE_MESSAGES[appRole.action](appRole.role));
      return 0;
    }
    case 'status': {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const status = await migrationStatus(async (sql) => (await client.query(sql)).rows);
        for (const name of status.applied) console.log(`applied  ${name}`);
        for (const name of status.pending) console.log(`pending  ${name}`);
        for (const name of status.failed) console.log(`FAILED   ${name}`);
        return status.pending.length === 0 && status.failed.length === 0 ? 0 : 1;
      } finally {
        await client.end();
      }
    }
    case 'new': {
      if (!arg) throw new Error('new needs a migration name');
      const dir = await withScratchDatabase(databaseUrl, (shadow) => createMigration(shadow, arg));
      console.log(dir ? `wrote ${dir}` : 'schema.prisma and the migrations already agree: nothing to write');
      return 0;
    }
    case 'check': {
      const drift = await withScratchDatabase(databaseUrl, (shadow) => diffMigrationsToSchema(shadow));
      if (drift === '') {
        console.log('migrations match schema.prisma');
        return 0;
      }
      console.error(`migrations do not match schema.prisma; missing:\n${drift}`);
      return 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
