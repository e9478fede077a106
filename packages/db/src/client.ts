import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export type CreatePrismaClientOptions = {
  /** Connections this process may hold. Workers keep it small: Postgres is shared by every host. */
  maxConnections?: number;
};

/** The one way to make a Prisma client: the pg driver adapter, no Rust query engine. */
export function createPrismaClient(
  databaseUrl: string,
  options: CreatePrismaClientOptions = {},
): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
