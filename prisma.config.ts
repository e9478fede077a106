// Prisma CLI configuration (`prisma generate`, and `prisma migrate deploy` where the schema-engine
// binary can be downloaded). See README "Migrations without the schema-engine binary".
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Migrations run as the database owner (docs/operations.md, "Database roles").
  datasource: {
    url: process.env.MIGRATION_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/claimline',
  },
});
