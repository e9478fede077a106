import express, { type Express, type Request, type RequestHandler } from 'express';
import type { ZodType } from 'zod';
import { authenticate } from '../auth/authenticate.js';
import type { ConsoleSessions } from '../auth/console-session.js';
import { requireRole } from '../auth/roles.js';
import type { AppServices } from '../deps.js';
import { AppError } from '../errors/app-error.js';
import { validationError } from '../errors/problem.js';
import type { ApiRoute, HandlerContext } from './route.js';
import { requireSignedStation } from '../services/station/station-guard.js';
import { assertStorableInput } from './storable-input.js';

type Location = 'params' | 'query' | 'body' | 'headers';

/** Storable text and no reserved keys first (what Postgres and the prototype chain cannot hold), then zod. */
function parse(schema: ZodType | undefined, value: unknown, location: Location): unknown {
  if (!schema) return undefined;
  if (location !== 'headers') assertStorableInput(value, location);
  const result = schema.safeParse(value);
  if (!result.success)
    throw validationError(result.error, location, location === 'headers' ? 'INVALID_HEADER' : undefined);
  return result.data;
}

/** 415 unless a request that carries a body says it is JSON; a POST without a body is fine. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected application/json, got ${req.headers['content-type'] ?? 'none'}`,
    );
  }
  next();
};

/** A refused key counts against the client address's unauthenticated limit (429 once over it, else 401). */
export function withAddressLimit(auth: RequestHandler, perAddress: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    try {
      await auth(req, res, next);
    } catch (refused) {
      perAddress(req, res, (limited?: unknown) => next(limited ?? refused));
    }
  };
}

export function clientOrigin(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}

/**
 * Mounts each route: authentication and role before anything reads the body (so an anonymous client
 * cannot make us parse 16 MB), then rate limit, content type, JSON parsing, the storable-input check
 * and zod (headers, path, query, body, each against the route's contract), and the handler.
 */
export function mountRoutes(
  app: Express,
  deps: AppServices,
  routes: readonly ApiRoute[],
  limits: { perKey: RequestHandler; perAddress: RequestHandler },
  /** The console's cookie sessions; null on the ops listener (no authenticated routes there). */
  sessions: ConsoleSessions | null,
): void {
  const bearer = withAddressLimit(authenticate(deps.prisma, deps.keyCache), limits.perAddress);
  // The console's cookie when there is no Authorization header and the cookie is there; Bearer otherwise.
  const auth: RequestHandler = (req, res, next) =>
    sessions?.applies(req) ? sessions.authenticate(req, res, next) : bearer(req, res, next);
  // The raw body is kept for the Content-Digest of signed station requests.
  const json = express.json({
    limit: deps.config.API_BODY_LIMIT,
    type: () => true,
    verify: (req, _res, buf) => {
      (req as Request & { rawBody?: Buffer }).rawBody = buf;
    },
  });
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    if (route.roles === 'public') chain.push(limits.perAddress);
    else chain.push(auth, requireRole(route.roles), limits.perKey);
    if (route.body) chain.push(requireJson, json);
    chain.push(async (req, res) => {
      const ctx: HandlerContext = { deps, principal: req.principal!, origin: clientOrigin(req) };
      if (route.signed === 'station' && deps.stationSignatures !== false)
        await requireSignedStation(ctx, req);
      if (route.precheck) route.precheck(ctx, req.body);
      const input = {
        headers: parse(route.headers, req.headers, 'headers'),
        params: parse(route.params, req.params, 'params'),
        query: parse(route.query, req.query, 'query'),
        body: parse(route.body, req.body ?? {}, 'body'),
      } as Parameters<ApiRoute['handle']>[1];
      const result = await route.handle(ctx, input, req, res);
      if (!result) return;
      for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
      res.status(result.status).json(result.body);
    });
    app[route.method](route.path, ...chain);
  }
}
