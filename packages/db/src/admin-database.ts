import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** CREATE/DROP DATABASE through the server's maintenance database (`postgres`). */

export function withDatabaseName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function withAdminClient<T>(
  databaseUrl: string,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabaseName(databaseUrl, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function databaseExists(databaseUrl: string): Promise<boolean> {
  const name = databaseNameOf(databaseUrl);
  return withAdminClient(databaseUrl, async (c) => {
    const result = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  });
}

export async function createDatabase(databaseUrl: string, template?: string): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  await withAdminClient(databaseUrl, async (c) => {
    await c.query(
      `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`,
    );
  });
}

export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  if (await databaseExists(databaseUrl)) return false;
  try {
    await createDatabase(databaseUrl);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created concurrently
    throw error;
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  await withAdminClient(databaseUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

/** A scratch database next to `databaseUrl`, dropped when `run` ends. */
export async function withScratchDatabase<T>(
  databaseUrl: string,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const url = withDatabaseName(databaseUrl, `claimline_scratch_${randomBytes(6).toString('hex')}`);
  await createDatabase(url);
  try {
    return await run(url);
  } finally {
    await dropDatabase(url);
  }
}
