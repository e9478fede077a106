#!/usr/bin/env node
// claimline-migrate: Prisma migrations on the wasm schema engine. See README, "Migrations".
import { databaseSchema, loadConfig } from '@claimline/config';
import pg from 'pg';
import { ensureDatabase, withScratchDatabase } from './admin-database.js';
import {
  createMigration,
  deployMigrations,
  diffMigrationsToSchema,
  migrationStatus,
} from './migrations/migrator.js';

const USAGE = `usage: claimline-migrate <command>
  deploy        create the database if missing, apply pending migrations (= prisma migrate deploy)
  status        list applied and pending migrations
  new <name>    write prisma/migrations/<timestamp>_<name>/ from the change in schema.prisma
  check         fail if the migrations folder does not produce exactly schema.prisma`;

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  const { DATABASE_URL } = loadConfig('migrate', databaseSchema);
  const databaseUrl = DATABASE_URL.reveal();
  switch (command) {
    case 'deploy': {
      if (await ensureDatabase(databaseUrl)) console.log('created the database');
      const applied = await deployMigrations(databaseUrl);
      console.log(
        applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'no pending migrations',
      );
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
