import type { ConsoleSessions } from '../auth/console-session.js';
import { ROLES } from '../auth/roles.js';
import { defineRoute, type ApiRoute, type ResponseSpec } from '../http/route.js';
import { z } from '../openapi/zod.js';
import { problemSchema } from '../schemas/common.js';

const TAG = 'console';
const problem = (description: string): ResponseSpec => ({
  description,
  schema: problemSchema,
  contentType: 'application/problem+json',
});

export const consoleSessionSchema = z
  .object({
    role: z.enum(['MES', 'VIEWER', 'ADMIN']),
    keyPrefix: z.string().describe('The signed-in key, by its public prefix'),
    csrfToken: z.string().describe('Send it as X-CSRF-Token on every request that is not GET or HEAD'),
    expiresAt: z.iso.datetime(),
  })
  .openapi('ConsoleSession');

/** The web console's session (auth/console-session.ts): sign in with a read-role key, look, sign out. */
export function consoleRoutes(sessions: ConsoleSessions): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/console/session',
      operationId: 'createConsoleSession',
      summary: 'Console sign-in: with a read-role key (Bearer), sets the session cookie for /v1 calls',
      tag: TAG,
      roles: ROLES.read,
      responses: { 201: { description: 'Signed in; the cookie is set', schema: consoleSessionSchema } },
      handle: async (ctx, _input, _req, res) => ({
        status: 201,
        body: await sessions.open(res, ctx.principal),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/console/session',
      operationId: 'getConsoleSession',
      summary: "The console session of this request's cookie (role, CSRF token, expiry)",
      tag: TAG,
      roles: ROLES.read,
      responses: {
        200: { description: 'Signed in', schema: consoleSessionSchema },
        401: problem('UNAUTHENTICATED, SESSION_EXPIRED: no session or it ended'),
      },
      handle: async (_ctx, _input, req) => ({ status: 200, body: await sessions.view(req) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/console/session',
      operationId: 'deleteConsoleSession',
      summary: 'Console sign-out: ends the session at once and clears the cookie',
      tag: TAG,
      roles: ROLES.read,
      responses: {
        204: { description: 'Signed out' },
        403: problem('FORBIDDEN, CSRF_TOKEN_INVALID: the X-CSRF-Token header is missing or wrong'),
      },
      handle: async (_ctx, _input, req, res) => {
        await sessions.close(req, res);
        res.status(204).end();
      },
    }),
  ];
}
