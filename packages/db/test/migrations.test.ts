import { diffMigrationsToSchema } from '@claimline/db';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, createDatabase, withDatabaseName } from '../src/admin-database';

const repoPrisma = path.resolve(__dirname, '../../../prisma');
let scratch: TestDatabase;

beforeAll(async () => {
  scratch = await createTestDatabase();
});

afterAll(async () => {
  delete process.env.CLAIMLINE_PRISMA_DIR;
  await scratch.drop();
});

async function emptyDatabase(): Promise<string> {
  const url = withDatabaseName(scratch.url, `${new URL(scratch.url).pathname.slice(1)}_shadow`);
  await dropDatabase(url);
  await createDatabase(url);
  return url;
}

describe('the migrations folder', () => {
  it('produces exactly schema.prisma (no drift)', async () => {
    const url = await emptyDatabase();
    try {
      expect(await diffMigrationsToSchema(url)).toBe('');
    } finally {
      await dropDatabase(url);
    }
  });

  it('reports the SQL a schema change needs when a migration is missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-prisma-'));
    fs.cpSync(repoPrisma, dir, { recursive: true });
    const schemaFile = path.join(dir, 'schema.prisma');
    fs.writeFileSync(
      schemaFile,
      fs
        .readFileSync(schemaFile, 'utf8')
        .replace('  line      String?', '  line      String?\n  hall      String?'),
    );
    process.env.CLAIMLINE_PRISMA_DIR = dir;
    const url = await emptyDatabase();
    try {
      expect(await diffMigrationsToSchema(url)).toMatch(/ALTER TABLE "station" ADD COLUMN\s+"hall" TEXT/);
    } finally {
      delete process.env.CLAIMLINE_PRISMA_DIR;
      await dropDatabase(url);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
