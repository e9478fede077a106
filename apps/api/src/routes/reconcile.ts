import { ROLES } from '../auth/roles.js';
import { reconcileFixHandler, reconcileHandler } from '../handlers/reconcile.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { problemSchema } from '../schemas/common.js';
import {
  reconcileFixQuery,
  reconcileFixReport,
  reconcileQuery,
  reconcileReport,
} from '../schemas/reconcile.js';

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
        'Read-only reconcile report: each disagreement between the database and AWS IoT, with counts per kind',
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
    defineRoute({
      method: 'post',
      path: '/v1/reconcile/fix',
      operationId: 'fixReconcileFindings',
      summary:
        'Reconcile, then enqueue the safe fixes on the maintenance queue (revoke at AWS what the database revoked; deactivate and delete orphans ACTIVE at AWS)',
      tag: 'operations',
      roles: ROLES.admin,
      query: reconcileFixQuery,
      responses: {
        200: { description: 'The report and the fixes enqueued', schema: reconcileFixReport },
        404: problem('BATCH_NOT_FOUND: no such batch'),
        503: problem(
          'CONTROL_PLANE_UNAVAILABLE: no control plane, or it failed; QUEUE_UNAVAILABLE: the fixes could not be enqueued',
        ),
      },
      handle: (ctx, { query }) => reconcileFixHandler(ctx, query),
    }),
  ];
}
