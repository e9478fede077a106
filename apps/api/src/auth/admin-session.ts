import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '@claimline/db';
import type { RequestHandler, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import { bearerToken, findPrincipal } from './authenticate.js';
import type { ApiKeyCache } from './key-cache.js';

/**
 * The dashboard is a browser page, which cannot send a Bearer header. `POST /admin/session` with an
 * ADMIN key sets a short-lived HMAC-signed cookie naming the key's prefix (never the key). Each
 * dashboard request re-checks that this key still exists, is not revoked and is still ADMIN. The signing
 * secret is random per process: sessions end on restart and are not shared between API processes.
 */
export const SESSION_COOKIE = 'cl_admin';
export const SESSION_TTL_MS = 15 * 60_000;

export type AdminSessions = { issue(res: Response, prefix: string): void; guard: RequestHandler };

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function createAdminSessions(
  prisma: PrismaClient,
  cache?: ApiKeyCache,
  secret = randomBytes(32),
): AdminSessions {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  const verify = (cookie: string | undefined): string | undefined => {
    const [prefix, expires, mac] = cookie?.split('.') ?? [];
    if (!prefix || !expires || !mac) return undefined;
    const expected = Buffer.from(sign(`${prefix}.${expires}`));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return Number(expires) > Date.now() ? prefix : undefined;
  };
  return {
    issue(res, prefix) {
      const expires = Date.now() + SESSION_TTL_MS;
      res.cookie(SESSION_COOKIE, `${prefix}.${expires}.${sign(`${prefix}.${expires}`)}`, {
        httpOnly: true,
        sameSite: 'strict',
        // True on a TLS socket, or behind a TLS proxy that API_TRUST_PROXY trusts (X-Forwarded-Proto).
        secure: res.req.secure,
        path: '/admin',
        maxAge: SESSION_TTL_MS,
      });
    },
    guard: async (req, _res, next) => {
      const token = bearerToken(req.headers.authorization);
      let role: string | undefined;
      if (token) {
        role = (await findPrincipal(prisma, token, cache))?.role;
      } else {
        const prefix = verify(readCookie(req.headers.cookie, SESSION_COOKIE));
        const key = prefix ? await prisma.apiKey.findUnique({ where: { prefix } }) : null;
        role = key && !key.revokedAt ? key.role : undefined;
      }
      if (!role)
        throw new AppError('UNAUTHENTICATED', 'an ADMIN key (Bearer) or an admin session cookie is required');
      if (role !== 'ADMIN') throw new AppError('FORBIDDEN', 'the dashboard is for ADMIN keys only');
      next();
    },
  };
}
