import { randomUUID } from 'node:crypto';
import { redactSecretsInText, type Logger } from '@claimline/logger';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Request logs with an id (the caller's X-Request-Id when it is sane, else a new UUID, echoed back).
 * The serializers name what is logged: no header at all, so no Authorization or cookie can leak; the
 * URL and a caller's request id go through `redactSecretsInText` (an API key or `?token=` pasted into
 * a URL or X-Request-Id by mistake is not logged).
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const sane =
        typeof given === 'string' && REQUEST_ID.test(given) && redactSecretsInText(given) === given;
      const id = sane ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactSecretsInText(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    autoLogging: { ignore: (req) => QUIET.has(req.url ?? '') },
  });
}
