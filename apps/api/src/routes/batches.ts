import { ROLES } from '../auth/roles.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors/app-error.js';
import { cancelBatchHandler, requeueBatchHandler, retryBatchHandler } from '../handlers/batch-actions.js';
import { batchEventsHandler } from '../handlers/batch-events.js';
import { batchReportHandler } from '../handlers/batch-report.js';
import { createBatchHandler } from '../handlers/create-batch.js';
import { uploadBatchHandler } from '../handlers/upload-batch.js';
import { getBatchHandler } from '../handlers/get-batch.js';
import { listBatchDevicesHandler } from '../handlers/list-batch-devices.js';
import { listBatchEventsHandler, listBatchesHandler } from '../handlers/list-batches.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { z } from '../openapi/zod.js';
import {
  batchActionResponse,
  batchDetail,
  createBatchBodySchema,
  createBatchResponse,
  listBatchesQuery,
  listBatchesResponse,
  listDevicesQuery,
  listDevicesResponse,
  reportQuery,
  uploadBatchQuery,
} from '../schemas/batch.js';
import { batchIdParams, idempotencyHeaders } from '../schemas/common.js';

const TAG = 'batches';

export function batchRoutes(deps: AppDeps): ApiRoute[] {
  const maxDevices = deps.config.API_MAX_DEVICES_PER_BATCH;
  const body = createBatchBodySchema({ serialPattern: deps.config.API_SERIAL_PATTERN, maxDevices });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/batches',
      operationId: 'createBatch',
      summary: 'Create a batch of devices to provision',
      tag: TAG,
      roles: ROLES.write,
      body,
      headers: idempotencyHeaders,
      precheck: (_ctx, raw) => {
        const devices = (raw as { devices?: unknown } | undefined)?.devices;
        if (Array.isArray(devices) && devices.length > maxDevices) {
          throw new AppError(
            'BATCH_TOO_LARGE',
            `${devices.length} devices; at most ${maxDevices} per request`,
            { limit: maxDevices },
          );
        }
      },
      responses: {
        202: {
          description: 'Accepted: devices stored and enqueued. `Location` names the batch.',
          schema: createBatchResponse,
        },
      },
      handle: (ctx, { body, headers }) => createBatchHandler(ctx, body, headers['idempotency-key']),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/batches/upload',
      operationId: 'uploadBatch',
      summary:
        'Create a batch from a streamed device list: text/csv (header line with `serial` and parameter columns) or application/x-ndjson (one {"serial", "parameters"} per line); batch fields in the query; synchronous',
      tag: TAG,
      roles: ROLES.write,
      query: uploadBatchQuery,
      responses: {
        202: {
          description:
            'Accepted: every device stored (one transaction) and enqueued. `Location` names the batch.',
          schema: createBatchResponse,
        },
      },
      handle: (ctx, { query }, req) => uploadBatchHandler(ctx, query, req),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches',
      operationId: 'listBatches',
      summary: 'List batches',
      tag: TAG,
      roles: ROLES.read,
      query: listBatchesQuery,
      responses: { 200: { description: 'A page of batches', schema: listBatchesResponse } },
      handle: (ctx, { query }) => listBatchesHandler(ctx, query),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/events',
      operationId: 'streamBatchListEvents',
      summary:
        'Server-Sent Events for a whole batch list (same filters as listBatches): every batch with its progress at once, again on each change',
      tag: TAG,
      roles: ROLES.read,
      query: listBatchesQuery,
      responses: {
        200: {
          description:
            '`event: batches` with {items: Batch[] (each with its progress), page, limit, total}; a comment line every 15 s when nothing changes; 429 TOO_MANY_STREAMS beyond API_MAX_EVENT_STREAMS_PER_KEY streams per key',
          contentType: 'text/event-stream',
          schema: z.string(),
        },
      },
      handle: (ctx, { query }, req, res) => listBatchEventsHandler(ctx, query, req, res),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id',
      operationId: 'getBatch',
      summary: 'A batch with its progress',
      tag: TAG,
      roles: ROLES.read,
      params: batchIdParams,
      responses: { 200: { description: 'The batch', schema: batchDetail } },
      handle: (ctx, { params }) => getBatchHandler(ctx, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id/devices',
      operationId: 'listBatchDevices',
      summary: "A batch's devices, cursor-paged by id",
      tag: TAG,
      roles: ROLES.read,
      params: batchIdParams,
      query: listDevicesQuery,
      responses: { 200: { description: 'A page of devices', schema: listDevicesResponse } },
      handle: (ctx, { params, query }) => listBatchDevicesHandler(ctx, params.id, query),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/batches/:id/cancel',
      operationId: 'cancelBatch',
      summary: 'Cancel the devices still queued (jobs in flight finish)',
      tag: TAG,
      roles: ROLES.write,
      params: batchIdParams,
      responses: { 200: { description: 'Cancelled', schema: batchActionResponse } },
      handle: (ctx, { params }) => cancelBatchHandler(ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/batches/:id/retry',
      operationId: 'retryBatch',
      summary: 'Queue the FAILED devices again, with a new job generation',
      tag: TAG,
      roles: ROLES.write,
      params: batchIdParams,
      responses: { 202: { description: 'Re-queued', schema: batchActionResponse } },
      handle: (ctx, { params }) => retryBatchHandler(ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/batches/:id/requeue',
      operationId: 'requeueBatch',
      summary: 'Recovery: enqueue the jobs of every QUEUED device again (idempotent)',
      tag: TAG,
      roles: ROLES.write,
      params: batchIdParams,
      responses: { 202: { description: 'Jobs present', schema: batchActionResponse } },
      handle: (ctx, { params }) => requeueBatchHandler(ctx, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id/report',
      operationId: 'getBatchReport',
      summary: 'Per-device report (CSV with Accept: text/csv or ?format=csv; JSON otherwise), streamed',
      tag: TAG,
      roles: ROLES.read,
      params: batchIdParams,
      query: reportQuery,
      responses: {
        200: {
          description: 'The report; never key material',
          schema: z.object({
            batchId: z.uuid(),
            externalRef: z.string(),
            devices: z.array(z.record(z.string(), z.unknown())),
          }),
        },
      },
      handle: (ctx, { params, query }, req, res) =>
        batchReportHandler(ctx, params.id, query.format, req, res),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/batches/:id/events',
      operationId: 'streamBatchEvents',
      summary: 'Server-Sent Events: progress every second when it changes, end when finished',
      tag: TAG,
      roles: ROLES.read,
      params: batchIdParams,
      responses: {
        200: {
          description: '`event: progress` with BatchProgress data; `event: end`',
          contentType: 'text/event-stream',
          schema: z.string(),
        },
      },
      handle: (ctx, { params }, req, res) => batchEventsHandler(ctx, params.id, req, res),
    }),
  ];
}
