import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export type AdminAccess = { host: string; port: number; token?: string };

/** The admin API may not listen beyond loopback without a token. */
export class AdminAccessError extends Error {
  constructor(host: string) {
    super(
      `the emulator admin API would listen on ${host}, beyond loopback, without a token: set EMULATOR_ADMIN_TOKEN (or listen on 127.0.0.1)`,
    );
    this.name = 'AdminAccessError';
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function checkAdminAccess(access: AdminAccess): void {
  if (!isLoopback(access.host) && !access.token) throw new AdminAccessError(access.host);
}

/** A body of at least one byte (type-is counts `Content-Length: 0` as a body). */
const hasBody = (req: Request) =>
  req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Every route but `/healthz` needs `Authorization: Bearer <token>` when a token is set (compared in
 * constant time), and every POST needs `Content-Type: application/json` with a body: a cross-site form
 * or a no-preflight `fetch` cannot send that, so no web page can change the emulator's state.
 */
export function adminGuard(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/healthz') return next();
    if (expected && !timingSafeEqual(digest(req.get('authorization') ?? ''), expected))
      return void res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({ code: 'UNAUTHORIZED', error: 'a valid admin bearer token is required' });
    if (req.method === 'POST' && !(hasBody(req) && req.is('application/json')))
      return void res.status(415).json({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        error: 'POST needs a JSON body (Content-Type: application/json)',
      });
    next();
  };
}
