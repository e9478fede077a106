import type { PrismaClient } from '@claimline/db';
import type { RequestHandler } from 'express';
import { AppError } from '../errors/app-error.js';
import { parseApiKey } from './api-key.js';
import type { ApiKeyCache } from './key-cache.js';
import type { Principal } from './principal.js';

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The key's principal: from the cache when it holds the key (see key-cache.ts: revocations reach it
 * through Postgres NOTIFY), else one indexed lookup by the key's hash. `last_used_at` is refreshed at
 * most once a minute, awaited (not left running after the answer, where a shutdown or a test's
 * teardown would cut it off).
 */
export async function findPrincipal(
  prisma: PrismaClient,
  key: string,
  cache?: ApiKeyCache,
): Promise<Principal | undefined> {
  const parsed = parseApiKey(key);
  if (!parsed) return undefined;
  const cached = cache?.get(parsed.hash);
  if (cached && Date.now() - cached.lastUsedAt <= LAST_USED_RESOLUTION_MS) return cached.principal;
  const version = cache?.version() ?? 0;
  const row = await prisma.apiKey.findUnique({ where: { secretHash: parsed.hash } });
  if (!row || row.revokedAt || row.prefix !== parsed.prefix) return undefined;
  let lastUsedAt = row.lastUsedAt?.getTime() ?? 0;
  if (Date.now() - lastUsedAt > LAST_USED_RESOLUTION_MS) {
    lastUsedAt = Date.now();
    await prisma.apiKey
      .update({ where: { id: row.id }, data: { lastUsedAt: new Date(lastUsedAt) } })
      .catch(() => undefined);
  }
  const principal = { keyId: row.id, prefix: row.prefix, role: row.role, stationId: row.stationId };
  cache?.set(parsed.hash, principal, lastUsedAt, version);
  return principal;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match) throw new AppError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <key>"');
  return match[1];
}

export function authenticate(prisma: PrismaClient, cache?: ApiKeyCache): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AppError('UNAUTHENTICATED', 'missing Authorization: Bearer <key>');
    const principal = await findPrincipal(prisma, token, cache);
    if (!principal) throw new AppError('UNAUTHENTICATED', 'unknown or revoked API key');
    req.principal = principal;
    next();
  };
}
