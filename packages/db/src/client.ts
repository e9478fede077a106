import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';

export type CreatePrismaClientOptions = {
  /** Connections this process may hold. Workers keep it small: Postgres is shared by every host. */
  maxConnections?: number;
};

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** The one way to make a Prisma client: the pg driver adapter, no Rust query engine. */
export function createPrismaClient(
  databaseUrl: string,
  options: CreatePrismaClientOptions = {},
): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // The adapter listens for idle-client errors only once Prisma connects; a statement sent by
  // rawSqlOf before that must not turn a dropped idle connection into an uncaught error either.
  pool.on('error', () => undefined);
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * One SQL statement with $1… parameters; its rows decoded as Prisma decodes a raw query's. With a
 * `name`, each pool connection prepares the statement once (the text must never change under a name).
 */
export type RawSql = <Row>(text: string, values: readonly unknown[], name?: string) => Promise<Row[]>;

/** Column types decoded as Prisma does: `timestamp` is UTC, `bytea` a Uint8Array, `int8` a bigint. */
const PARSERS: Record<number, (text: string) => unknown> = {
  1114: (text) => new Date(`${text.replace(' ', 'T')}Z`),
  17: (text) => {
    const buffer = pg.types.getTypeParser(17)(text) as Buffer;
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  20: (text) => BigInt(text),
};
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Statements on the client's own pg pool (the same connections), for the few single statements on a
 * hot path where Prisma's per-query cost (~0.4 ms of CPU, raw queries included, against ~0.15 ms for
 * pg) is most of the work: the worker's provisioning writes. Dates are sent as UTC, as Prisma sends
 * them. A client not made by createPrismaClient, or one disconnected, goes through `$queryRawUnsafe`.
 */
export function rawSqlOf(client: PrismaClient): RawSql {
  return async <Row>(text: string, values: readonly unknown[], name?: string): Promise<Row[]> => {
    const pool = pools.get(client);
    if (!pool || pool.ending) return client.$queryRawUnsafe<Row[]>(text, ...values);
    const sent = values.map((value) => (value instanceof Date ? value.toISOString() : value));
    return (await pool.query({ text, values: sent, types, ...(name && { name }) })).rows as Row[];
  };
}

/** No connection of the pool came free within `maxWaitMs`: overload, the caller may retry. */
export class ConnectionWaitTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`no database connection came free within ${waitedMs} ms`);
    this.name = 'ConnectionWaitTimeout';
  }
}

export type RawTransactionOptions = {
  /** How long to wait for a connection of the pool (as Prisma's `maxWait`); default 10 s. */
  maxWaitMs?: number;
};

/** A connection of the pool, or ConnectionWaitTimeout; one that comes free too late goes back. */
async function connectWithin(pool: pg.Pool, maxWaitMs: number): Promise<pg.PoolClient> {
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), maxWaitMs);
  });
  try {
    const connection = await Promise.race([pending, timedOut]);
    if (connection) return connection;
  } finally {
    clearTimeout(timer);
  }
  pending.then(
    (late) => late.release(),
    () => undefined,
  );
  throw new ConnectionWaitTimeout(maxWaitMs);
}

/**
 * One transaction on a connection of the client's own pool, statements as `RawSql`: for work whose
 * row count is unbounded (a batch of 100,000 units, a streamed upload of a million), where Prisma's
 * per-statement garbage (~1.5 KB a row through `$queryRawUnsafe`) grows the heap faster than the
 * collector reclaims it. Committed when `run` resolves, rolled back when it throws.
 */
export async function withRawTransaction<T>(
  client: PrismaClient,
  run: (sql: RawSql) => Promise<T>,
  { maxWaitMs = 10_000 }: RawTransactionOptions = {},
): Promise<T> {
  const pool = pools.get(client);
  if (!pool) throw new Error('withRawTransaction needs a client made by createPrismaClient');
  const connection = await connectWithin(pool, maxWaitMs);
  const sql: RawSql = async <Row>(text: string, values: readonly unknown[], name?: string) => {
    const sent = values.map((value) => (value instanceof Date ? value.toISOString() : value));
    return (await connection.query({ text, values: sent, types, ...(name && { name }) })).rows as Row[];
  };
  let broken = false;
  try {
    await connection.query('BEGIN');
    const result = await run(sql);
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    // A connection whose ROLLBACK failed is closed, not handed out again mid-transaction.
    connection.release(broken || undefined);
  }
}
