import type { Prisma, PrismaClient } from '@claimline/db';

/** A client or the transaction a caller runs the ledger's writes in. */
export type Db = PrismaClient | Prisma.TransactionClient;
