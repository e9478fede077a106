import fs from 'node:fs';
import path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';

/** The repository's prisma/ folder, found from this file in src/ or dist/. */
export function prismaDir(): string {
  return process.env.CLAIMLINE_PRISMA_DIR ?? path.resolve(__dirname, '../../../../prisma');
}

export function migrationsDir(): string {
  return path.join(prismaDir(), 'migrations');
}

export function readSchemaFile(): { path: string; content: string } {
  const file = path.join(prismaDir(), 'schema.prisma');
  return { path: file, content: fs.readFileSync(file, 'utf8') };
}

/** The migrations folder in the shape the schema engine takes it (what the Prisma CLI builds too). */
export function readMigrationList(dir = migrationsDir()): MigrationList {
  const lockfilePath = path.join(dir, 'migration_lock.toml');
  const names = fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  return {
    baseDir: dir,
    lockfile: {
      path: 'migration_lock.toml',
      content: fs.existsSync(lockfilePath) ? fs.readFileSync(lockfilePath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      return {
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: fs.existsSync(file)
            ? { tag: 'ok' as const, value: fs.readFileSync(file, 'utf8') }
            : { tag: 'error' as const, value: `missing ${file}` },
        },
      };
    }),
  };
}
