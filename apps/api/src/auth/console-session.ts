import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRole, PrismaClient } from '@claimline/db';
import type { Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../errors/app-error.js';
import type { Principal } from './principal.js';
import { ROLES } from './roles.js';

/**
 * The console's sign-in. `POST /console/session` with a read-role key (Bearer, from the sign-in form)
 * opens a session: a random id in an HttpOnly, SameSite=Strict cookie on `/`, so the console's `/v1`
 * calls and its event stream carry it. Redis holds, under the SHA-256 of that id (never the id, never
 * the key), the key's prefix and a CSRF token, with the session's time-to-live: sessions survive an API
 * restart, are shared by every API process, and sign-out deletes them at once. Each request re-checks
 * that the key still exists, is not revoked and still has a read role. A request authenticated by the
 * cookie that is not GET/HEAD must echo the CSRF token in `X-CSRF-Token` (synchronizer token; the
 * SameSite cookie is the second line).
 */
export const CONSOLE_COOKIE = 'cl_console';
export const CSRF_HEADER = 'x-csrf-token';
export const CONSOLE_SESSION_TTL_MS = 8 * 3_600_000; // one shift

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const READ_ROLES: readonly ApiKeyRole[] = ROLES.read;

type Stored = { prefix: string; csrf: string; expiresAt: number };
export type ConsoleSessionView = {
  role: ApiKeyRole;
  keyPrefix: string;
  csrfToken: string;
  expiresAt: string;
};

export type ConsoleSessions = {
  open(res: Response, principal: Principal): Promise<ConsoleSessionView>;
  /** The session of this request's cookie, or 401 (`SESSION_EXPIRED` when a cookie was sent). */
  view(req: Request): Promise<ConsoleSessionView>;
  close(req: Request, res: Response): Promise<void>;
  /** True when the request should be authenticated by the cookie (no Authorization header, a cookie). */
  applies(req: Request): boolean;
  authenticate: RequestHandler;
};

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function createConsoleSessions(
  prisma: PrismaClient,
  redis: Redis,
  options: {
    keyPrefix: string;
    ttlMs?: number;
    /** Told when a session is signed out (its id is the hash of its cookie): its event streams end. */
    onClose?: (sessionId: string) => void;
  },
): ConsoleSessions {
  const ttlMs = options.ttlMs ?? CONSOLE_SESSION_TTL_MS;
  const sessionId = (id: string) => createHash('sha256').update(id).digest('hex');
  const redisKey = (id: string) => `${options.keyPrefix}:console-session:${sessionId(id)}`;
  const cookieId = (req: Request) => {
    const id = readCookie(req.headers.cookie, CONSOLE_COOKIE);
    return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
  };

  async function load(req: Request): Promise<{ stored: Stored; principal: Principal }> {
    const id = cookieId(req);
    const raw = id ? await redis.get(redisKey(id)) : null;
    const stored = raw ? (JSON.parse(raw) as Stored) : undefined;
    if (!stored || stored.expiresAt <= Date.now())
      throw new AppError('SESSION_EXPIRED', 'the console session ended; sign in again');
    const key = await prisma.apiKey.findUnique({ where: { prefix: stored.prefix } });
    if (!key || key.revokedAt || !READ_ROLES.includes(key.role))
      throw new AppError('SESSION_EXPIRED', 'the key of this session was revoked or changed role');
    return {
      stored,
      principal: {
        keyId: key.id,
        prefix: key.prefix,
        role: key.role,
        stationId: key.stationId,
        session: { id: sessionId(id!), expiresAt: stored.expiresAt },
      },
    };
  }

  const viewOf = (stored: Stored, role: ApiKeyRole): ConsoleSessionView => ({
    role,
    keyPrefix: stored.prefix,
    csrfToken: stored.csrf,
    expiresAt: new Date(stored.expiresAt).toISOString(),
  });

  return {
    async open(res, principal) {
      const id = randomBytes(32).toString('base64url');
      const stored: Stored = {
        prefix: principal.prefix,
        csrf: randomBytes(32).toString('base64url'),
        expiresAt: Date.now() + ttlMs,
      };
      await redis.set(redisKey(id), JSON.stringify(stored), 'PX', ttlMs);
      res.cookie(CONSOLE_COOKIE, id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: res.req.secure,
        path: '/',
        maxAge: ttlMs,
      });
      return viewOf(stored, principal.role);
    },
    async view(req) {
      const { stored, principal } = await load(req);
      return viewOf(stored, principal.role);
    },
    async close(req, res) {
      const id = cookieId(req);
      if (id) {
        await redis.del(redisKey(id));
        options.onClose?.(sessionId(id));
      }
      res.clearCookie(CONSOLE_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.secure });
    },
    applies: (req) =>
      req.headers.authorization === undefined && readCookie(req.headers.cookie, CONSOLE_COOKIE) !== undefined,
    authenticate: async (req, _res, next) => {
      const { stored, principal } = await load(req);
      if (!SAFE_METHODS.has(req.method)) {
        const given = Buffer.from(String(req.headers[CSRF_HEADER] ?? ''));
        const expected = Buffer.from(stored.csrf);
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new AppError(
            'CSRF_TOKEN_INVALID',
            `a console request that changes something needs ${CSRF_HEADER}`,
          );
      }
      req.principal = principal;
      next();
    },
  };
}
