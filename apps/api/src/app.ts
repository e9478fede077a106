import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { rawSqlOf } from '@claimline/db';
import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { createAdminSessions } from './auth/admin-session.js';
import { authenticate } from './auth/authenticate.js';
import { createConsoleSessions } from './auth/console-session.js';
import { endStreamsOfKey, endStreamsOfSession } from './services/event-feeds.js';
import { ROLES, requireRole } from './auth/roles.js';
import type { AppDeps, AppServices } from './deps.js';
import { errorHandler, notFoundHandler } from './errors/problem.js';
import { consoleStatic } from './http/console-static.js';
import { requestLogger } from './http/logging.js';
import { mountRoutes, withAddressLimit } from './http/mount.js';
import { addressRateLimit, keyRateLimit } from './http/rate-limit.js';
import type { ApiRoute } from './http/route.js';
import { securityHeaders } from './http/security-headers.js';
import { trustProxySetting } from './http/trust-proxy.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi/document.js';
import { batchRoutes } from './routes/batches.js';
import { consoleRoutes } from './routes/console.js';
import { deviceRoutes } from './routes/devices.js';
import { insightRoutes } from './routes/insights.js';
import { opsRoutes, probeRoutes } from './routes/ops.js';
import { reconcileRoutes } from './routes/reconcile.js';
import { stationAdminRoutes, stationRoutes } from './routes/station.js';
import { createMetrics } from './services/metrics.js';
import { createDeviceViewReader } from './services/device-view.js';
import { createReadAudit } from './services/read-audit.js';

export type ClaimlineApp = Express & {
  routes: readonly ApiRoute[];
  openApiDocument: OpenApiDocument;
  /** The ops listener's app: /healthz, /readyz, /metrics (main.ts serves it on API_OPS_HOST:API_OPS_PORT). */
  opsApp: Express;
  /** Writes buffered read audit events; call before closing the database. */
  stop(): Promise<void>;
};

export function createApp(deps: AppDeps): ClaimlineApp {
  const app = express() as ClaimlineApp;
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(deps.config.API_TRUST_PROXY));
  app.use(requestLogger(deps.logger));
  app.use(securityHeaders());
  const metrics = createMetrics(deps.prisma, deps.queues);
  app.use(metrics.observe);
  const services: AppServices = {
    ...deps,
    readAudit: createReadAudit(deps.prisma, deps.config, deps.logger),
    deviceViews: createDeviceViewReader(rawSqlOf(deps.prisma)),
  };
  const limits = {
    perKey: keyRateLimit(deps.config.API_RATE_LIMIT_PER_MINUTE),
    perAddress: addressRateLimit(deps.config.API_ANON_RATE_LIMIT_PER_MINUTE),
  };

  const sessions = createAdminSessions(deps.prisma, deps.keyCache);
  const consoleSessions = createConsoleSessions(deps.prisma, deps.redis, {
    keyPrefix: deps.config.QUEUE_PREFIX,
    onClose: endStreamsOfSession,
  });
  // A key revoked (or changed) ends its open event streams at once: they were authorised when opened.
  deps.keyCache?.onInvalidate(endStreamsOfKey);
  const holder: { document?: OpenApiDocument } = {};
  const routes = [
    ...batchRoutes(services),
    ...deviceRoutes(),
    ...stationAdminRoutes(),
    ...stationRoutes(services),
    ...opsRoutes(sessions, () => holder.document!),
    ...reconcileRoutes(),
    ...consoleRoutes(consoleSessions),
    ...insightRoutes(),
  ];
  const document = buildOpenApiDocument(routes);
  holder.document = document;
  mountRoutes(app, services, routes, limits, consoleSessions);

  // Reserved for the programmer stations (issue 6): only STATION (and ADMIN) keys get past this.
  app.use(
    '/v1/station',
    withAddressLimit(authenticate(deps.prisma, deps.keyCache), limits.perAddress),
    requireRole(ROLES.station),
  );

  app.use('/console', limits.perAddress, consoleStatic());
  app.use('/docs', limits.perAddress, swaggerUi.serve, swaggerUi.setup(document));

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: deps.queues.all.map((q) => new BullMQAdapter(q)),
    // @bull-board/express 9.10.1 brings its own copy of @bull-board/api 9.10.1: same shape, separate declarations.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  app.use('/admin/queues', withAddressLimit(sessions.guard, limits.perAddress), board.getRouter());

  app.use(limits.perAddress, notFoundHandler);
  app.use(errorHandler);
  app.routes = routes;
  app.openApiDocument = document;
  app.opsApp = createOpsApp(services, probeRoutes(deps, metrics));
  app.stop = () => services.readAudit.stop();
  return app;
}

/** The ops listener: probes and metrics, no authentication, meant for loopback or the pod network only. */
function createOpsApp(services: AppServices, routes: ApiRoute[]): Express {
  const ops = express();
  ops.disable('x-powered-by');
  const pass: express.RequestHandler = (_req, _res, next) => next();
  mountRoutes(ops, services, routes, { perKey: pass, perAddress: pass }, null);
  ops.use(notFoundHandler);
  ops.use(errorHandler);
  return ops;
}
