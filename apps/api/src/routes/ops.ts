import { ROLES } from '../auth/roles.js';
import type { AdminSessions } from '../auth/admin-session.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors/app-error.js';
import { sendProblem } from '../errors/problem.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import type { OpenApiDocument } from '../openapi/document.js';
import { z } from '../openapi/zod.js';
import { readiness } from '../services/readiness.js';
import type { Metrics } from '../services/metrics.js';

const checkSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });

const healthz = () =>
  defineRoute({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'The process is up',
    tag: 'operations',
    roles: 'public',
    responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  });

/** The ops listener's routes (API_OPS_HOST:API_OPS_PORT, loopback by default): probes and metrics. */
export function probeRoutes(deps: AppDeps, metrics: Metrics): ApiRoute[] {
  return [
    healthz(),
    defineRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      summary: 'Postgres, Redis and migrations are ready (503 names the failed check)',
      tag: 'operations',
      roles: 'public',
      responses: {
        200: {
          description: 'Ready',
          schema: z.object({ status: z.literal('ready'), checks: z.array(checkSchema) }),
        },
      },
      handle: async (_ctx, _input, _req, res) => {
        const checks = await readiness(deps);
        const failed = checks.filter((c) => !c.ok);
        if (failed.length === 0) return { status: 200, body: { status: 'ready', checks } };
        sendProblem(
          res,
          new AppError('NOT_READY', `not ready: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`, {
            checks,
          }),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tag: 'operations',
      roles: 'public',
      responses: {
        200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() },
      },
      handle: async (_ctx, _input, _req, res) => {
        res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    }),
  ];
}

/** Operations routes of the public listener: liveness, this document, the dashboard session. */
export function opsRoutes(sessions: AdminSessions, document: () => OpenApiDocument): ApiRoute[] {
  return [
    healthz(),

    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tag: 'operations',
      roles: 'public',
      responses: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) } },
      handle: async () => ({ status: 200, body: document() }),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/session',
      operationId: 'createAdminSession',
      summary: 'Dashboard session: with an ADMIN key, sets a 15-minute signed cookie for /admin/queues',
      tag: 'operations',
      roles: ROLES.admin,
      responses: { 204: { description: 'Cookie set' } },
      handle: async (ctx, _input, _req, res) => {
        sessions.issue(res, ctx.principal.prefix);
        res.status(204).end();
      },
    }),
  ];
}
