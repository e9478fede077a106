import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRole, PrismaClient } from '@claimline/db';

/** `cl_<prefix>_<secret>`: 12 hex characters of public prefix, 256 random bits of secret (base64url). */
const KEY_PATTERN = /^cl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export type ParsedKey = { prefix: string; hash: string };

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function parseApiKey(key: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { prefix: match[1]!, hash: hashApiKey(key) };
}

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('hex');
  const key = `cl_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export type CreateApiKeyInput = { name: string; role: ApiKeyRole; station?: string };
export type CreatedApiKey = { id: string; prefix: string; role: ApiKeyRole; name: string; key: string };

/**
 * Creates a key and returns it in clear: the only time it exists outside the caller's hands. A STATION
 * key names its station, created if it does not exist yet.
 */
export async function createApiKey(prisma: PrismaClient, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  if (input.role === 'STATION' && !input.station) throw new Error('a STATION key needs --station <name>');
  if (input.role !== 'STATION' && input.station) throw new Error('only STATION keys belong to a station');
  const station = input.station
    ? await prisma.station.upsert({
        where: { name: input.station },
        update: {},
        create: { name: input.station },
      })
    : undefined;
  const { key, prefix, hash } = generateApiKey();
  const row = await prisma.apiKey.create({
    data: { name: input.name, role: input.role, prefix, secretHash: hash, stationId: station?.id ?? null },
  });
  return { id: row.id, prefix, role: row.role, name: row.name, key };
}

export async function revokeApiKey(prisma: PrismaClient, prefix: string): Promise<boolean> {
  const result = await prisma.apiKey.updateMany({
    where: { prefix, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return result.count === 1;
}
