#!/usr/bin/env node
// claimline-keys: create, list and revoke API keys. The secret is printed once, at creation.
import { databaseSchema, loadConfig } from '@claimline/config';
import { createPrismaClient, type ApiKeyRole } from '@claimline/db';
import { parseArgs } from 'node:util';
import { createApiKey, revokeApiKey } from './auth/api-key.js';

const USAGE = `usage: claimline-keys <command>
  create --name N --role MES|STATION|VIEWER|ADMIN [--station S]   print a new key (shown only once)
  list                                                            prefix, role, name, station, dates
  revoke <prefix>                                                 the key stops working at once`;

const ROLES: readonly ApiKeyRole[] = ['MES', 'STATION', 'VIEWER', 'ADMIN'];

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, role: { type: 'string' }, station: { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const prisma = createPrismaClient(loadConfig('keys', databaseSchema).DATABASE_URL.reveal(), {
    maxConnections: 1,
  });
  try {
    if (command === 'create') {
      const role = values.role?.toUpperCase() as ApiKeyRole | undefined;
      if (!values.name || !role || !ROLES.includes(role)) {
        console.error(USAGE);
        return 2;
      }
      const created = await createApiKey(prisma, { name: values.name, role, station: values.station });
      console.error(
        `created ${created.role} key ${created.prefix} (${created.name}); it is shown only this once:`,
      );
      console.log(created.key);
      return 0;
    }
    if (command === 'list') {
      const keys = await prisma.apiKey.findMany({
        orderBy: { createdAt: 'asc' },
        include: { station: { select: { name: true } } },
      });
      for (const k of keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        console.log(
          [
            k.prefix,
            k.role,
            k.name,
            k.station?.name ?? '-',
            k.createdAt.toISOString(),
            k.lastUsedAt?.toISOString() ?? '-',
            state,
          ].join('\t'),
        );
      }
      return 0;
    }
    if (!arg) {
      console.error(USAGE);
      return 2;
    }
    const revoked = await revokeApiKey(prisma, arg);
    console.log(revoked ? `revoked ${arg}` : `no active key with prefix ${arg}`);
    return revoked ? 0 : 1;
  } finally {
    await prisma.$disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
