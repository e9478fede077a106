import { ROLES } from '../auth/roles.js';
import { batchFailuresHandler, batchThroughputHandler, listStationsHandler } from '../handlers/insights.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { batchIdParams } from '../schemas/common.js';
import {
  batchFailuresResponse,
  batchThroughputResponse,
  stationListResponse,
  throughputQuery,
} from '../schemas/insights.js';

/** Read-only views for people watching the line (the console): how fast, what failed, which station. */
export function insightRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id/throughput',
      operationId: 'getBatchThroughput',
      summary: 'Devices registered and failed per time bucket since the batch was created',
      tag: 'batches',
      roles: ROLES.read,
      params: batchIdParams,
      query: throughputQuery,
      responses: {
        200: { description: 'Buckets with at least one device', schema: batchThroughputResponse },
      },
      handle: (ctx, { params, query }) => batchThroughputHandler(ctx, params.id, query.bucketSeconds),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id/failures',
      operationId: 'getBatchFailures',
      summary: "A batch's FAILED devices grouped by AWS error code, and its orphaned certificates",
      tag: 'batches',
      roles: ROLES.read,
      params: batchIdParams,
      responses: { 200: { description: 'Failures and orphans', schema: batchFailuresResponse } },
      handle: (ctx, { params }) => batchFailuresHandler(ctx, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/stations',
      operationId: 'listStations',
      summary:
        'Every station: last seen, units downloaded, burned and failed to burn in the last hour, assigned batches',
      tag: 'stations',
      roles: ROLES.read,
      responses: { 200: { description: 'The stations, by name', schema: stationListResponse } },
      handle: (ctx) => listStationsHandler(ctx),
    }),
  ];
}
