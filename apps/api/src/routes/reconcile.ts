import { ROLES } from '../auth/roles.js';
import { reconcileHandler } from '../handlers/reconcile.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { problemSchema } from '../schemas/common.js';
import { reconcileQuery, reconcileReport } from '../schemas/reconcile.js';

const problem = (description: string) => ({
  description,
  schema: problemSchema,
  contentType: 'application/problem+json',
});

export function reconcileRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reconcile',
      operationId: 'getReconcileReport',
      summary:
        'Read-only reconcile report: each disagreement between the database and AWS IoT, with counts per kind (fixes are not available yet)',
      tag: 'operations',
      roles: ROLES.admin,
      query: reconcileQuery,
      responses: {
        200: {
          description: 'The report (JSON, or CSV with ?format=csv); never key material',
          schema: reconcileReport,
        },
        404: problem('BATCH_NOT_FOUND: no such batch'),
        503: problem(
          'CONTROL_PLANE_UNAVAILABLE: no control plane is configured (CONTROL_PLANE=off, no emulator client file), or it failed',
        ),
      },
      handle: (ctx, { query }, _req, res) => reconcileHandler(ctx, query, res),
    }),
  ];
}
