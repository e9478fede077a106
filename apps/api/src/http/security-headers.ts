import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet everywhere; the two HTML pages (/docs, /admin/queues) load their own bundled scripts and
 * styles, which the default CSP would block, so they get helmet without the CSP.
 */
export function securityHeaders(): RequestHandler {
  const strict = helmet();
  const pages = helmet({ contentSecurityPolicy: false });
  return (req, res, next) =>
    (req.path.startsWith('/docs') || req.path.startsWith('/admin/queues') ? pages : strict)(req, res, next);
}
