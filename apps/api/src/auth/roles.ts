import type { ApiKeyRole } from '@claimline/db';
import type { RequestHandler } from 'express';
import { AppError } from '../errors/app-error.js';

/** Who may call what. ADMIN may call everything; STATION only /v1/station/... (issue 6). */
export const ROLES = {
  read: ['MES', 'VIEWER', 'ADMIN'],
  write: ['MES', 'ADMIN'],
  admin: ['ADMIN'],
  station: ['STATION', 'ADMIN'],
} as const satisfies Record<string, readonly ApiKeyRole[]>;

export function requireRole(allowed: readonly ApiKeyRole[]): RequestHandler {
  return (req, _res, next) => {
    const role = req.principal?.role;
    if (!role) throw new AppError('UNAUTHENTICATED');
    if (role !== 'ADMIN' && !allowed.includes(role)) {
      throw new AppError(
        'FORBIDDEN',
        `a ${role} key may not call ${req.method} ${req.route?.path ?? req.path}`,
      );
    }
    next();
  };
}
