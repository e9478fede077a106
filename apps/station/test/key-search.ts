import { createPrivateKey } from 'node:crypto';
import type { PrismaClient } from '@claimline/db';
import type { createRedisConnection } from '@claimline/jobs';

type Redis = ReturnType<typeof createRedisConnection>;

/**
 * Every form a unit's private key could leak in: its PEM (and the PEM body on one line), its PKCS#8
 * and SEC1 DER, the bare 32-byte scalar, each as bytes, hex, base64 and base64url.
 */
export function keyForms(pem: string): { name: string; bytes: Buffer }[] {
  const key = createPrivateKey(pem);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const sec1 = key.export({ type: 'sec1', format: 'der' });
  const scalar = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const forms = [
    { name: 'pem', bytes: Buffer.from(pem.trim()) },
    { name: 'pem body', bytes: Buffer.from(body) },
  ];
  for (const [name, der] of [
    ['pkcs8 der', pkcs8],
    ['sec1 der', sec1],
    ['scalar', scalar],
  ] as const) {
    forms.push({ name, bytes: der });
    forms.push({ name: `${name} hex`, bytes: Buffer.from(der.toString('hex')) });
    forms.push({ name: `${name} base64`, bytes: Buffer.from(der.toString('base64')) });
    forms.push({ name: `${name} base64url`, bytes: Buffer.from(der.toString('base64url')) });
  }
  return forms;
}

/** Which of `forms` occur in `haystack` (bytes, and its text lower-cased for hex). */
export function leaks(haystack: Buffer, forms: { name: string; bytes: Buffer }[]): string[] {
  const lower = Buffer.from(haystack.toString('latin1').toLowerCase(), 'latin1');
  return forms
    .filter(({ name, bytes }) => haystack.includes(bytes) || (name.endsWith('hex') && lower.includes(bytes)))
    .map(({ name }) => name);
}

/** Every row of every table of the public schema, as JSON text (bytea as hex) and raw bytea values. */
export async function dumpDatabase(prisma: PrismaClient): Promise<Buffer> {
  const tables = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const parts: Buffer[] = [];
  for (const { name } of tables) {
    const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(t)::text AS row FROM "${name}" t`,
    );
    for (const { row } of rows) parts.push(Buffer.from(`${name}: ${row}\n`));
    const bytea = await prisma.$queryRawUnsafe<{ column: string }[]>(
      `SELECT column_name AS column FROM information_schema.columns WHERE table_name = $1 AND data_type = 'bytea'`,
      name,
    );
    for (const { column } of bytea) {
      const values = await prisma.$queryRawUnsafe<{ v: Uint8Array | null }[]>(
        `SELECT "${column}" AS v FROM "${name}"`,
      );
      for (const { v } of values) if (v) parts.push(Buffer.from(v));
    }
  }
  return Buffer.concat(parts);
}

/** Every key under `prefix` with its values, whatever its type. */
export async function dumpRedis(redis: Redis, prefix: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      parts.push(Buffer.from(`${key}\n`));
      const type = await redis.type(key);
      const values: (string | Buffer)[] =
        type === 'string'
          ? [(await redis.getBuffer(key)) ?? '']
          : type === 'hash'
            ? Object.entries(await redis.hgetall(key)).flat()
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1)
                  : type === 'stream'
                    ? (await redis.xrange(key, '-', '+')).flatMap(([id, fields]: [string, string[]]) => [
                        id,
                        ...fields,
                      ])
                    : [];
      for (const value of values) parts.push(Buffer.from(value), Buffer.from('\n'));
    }
  } while (cursor !== '0');
  return Buffer.concat(parts);
}
