import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { createAdminSessions } from './auth/admin-session.js';
import { authenticate } from './auth/authenticate.js';
import { createConsoleSessions } from './auth/console-session.js';
import { ROLES, requireRole } from './auth/roles.js';
import type { AppDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errors/problem.js';
import { requestLogger } from './http/logging.js';
import { consoleStatic } from './http/console-static.js';
import { mountRoutes } from './http/mount.js';
import { keyRateLimit } from './http/rate-limit.js';
import type { ApiRoute } from './http/route.js';
import { securityHeaders } from './http/security-headers.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi/document.js';
import { batchRoutes } from './routes/batches.js';
import { consoleRoutes } from './routes/console.js';
import { deviceRoutes } from './routes/devices.js';
import { opsRoutes } from './routes/ops.js';
import { reconcileRoutes } from './routes/reconcile.js';
import { stationAdminRoutes, stationRoutes } from './routes/station.js';
import { createMetrics } from './services/metrics.js';

export type ClaimlineApp = Express & { routes: readonly ApiRoute[]; openApiDocument: OpenApiDocument };

export function createApp(deps: AppDeps): ClaimlineApp {
  const app = express() as ClaimlineApp;
  app.disable('x-powered-by');
  app.use(requestLogger(deps.logger));
  app.use(securityHeaders());
  const metrics = createMetrics(deps.prisma, deps.queues);
  app.use(metrics.observe);

  const sessions = createAdminSessions(deps.prisma);
  const consoleSessions = createConsoleSessions(deps.prisma, deps.redis, {
    keyPrefix: deps.config.QUEUE_PREFIX,
  });
  const holder: { document?: OpenApiDocument } = {};
  const routes = [
    ...batchRoutes(deps),
    ...deviceRoutes(),
    ...stationAdminRoutes(),
    ...stationRoutes(deps),
    ...opsRoutes(deps, metrics, sessions, () => holder.document!),
    ...reconcileRoutes(),
    ...consoleRoutes(consoleSessions),
  ];
  const document = buildOpenApiDocument(routes);
  holder.document = document;
  mountRoutes(app, deps, routes, keyRateLimit(deps.config.API_RATE_LIMIT_PER_MINUTE), consoleSessions);

  // Reserved for the programmer stations (issue 6): only STATION (and ADMIN) keys get past this.
  app.use('/v1/station', authenticate(deps.prisma), requireRole(ROLES.station));

  app.use('/console', consoleStatic());
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: deps.queues.all.map((q) => new BullMQAdapter(q)),
    // @bull-board/express 9.10.1 brings its own copy of @bull-board/api 9.10.1: same shape, separate declarations.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  app.use('/admin/queues', sessions.guard, board.getRouter());

  app.use(notFoundHandler);
  app.use(errorHandler);
  app.routes = routes;
  app.openApiDocument = document;
  return app;
}
