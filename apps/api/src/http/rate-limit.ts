import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../errors/app-error.js';

/**
 * Requests per minute per API key, counted in this process's memory: with N API processes a key may
 * make up to N times the limit. A shared Redis store would make it global; not needed yet.
 */
export function keyRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => req.principal?.prefix ?? 'anonymous',
    handler: (_req, _res, next) =>
      next(new AppError('RATE_LIMITED', `more than ${perMinute} requests per minute for this key`)),
    validate: { keyGeneratorIpFallback: false },
  });
}

/**
 * Requests per minute per client address for traffic without a valid API key: public routes, unknown
 * paths, and every request whose key is missing or refused (counted before the 401). The address is
 * `req.ip`, which honours X-Forwarded-For only as far as API_TRUST_PROXY says.
 */
export function addressRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown'),
    handler: (_req, _res, next) =>
      next(
        new AppError(
          'RATE_LIMITED_ADDRESS',
          `more than ${perMinute} unauthenticated requests per minute from this address`,
        ),
      ),
  });
}
