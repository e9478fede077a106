import { ROLES } from '../auth/roles.js';
import {
  getDeviceHandler,
  reprovisionDeviceHandler,
  requeueDeviceHandler,
  revokeDeviceHandler,
} from '../handlers/devices.js';
import { listTemplatesHandler } from '../handlers/list-templates.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { problemSchema, serialParams } from '../schemas/common.js';
import {
  deviceActionResponse,
  deviceDetail,
  deviceQuery,
  deviceRequeueResponse,
  templatesResponse,
} from '../schemas/device.js';

export function deviceRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/devices/:serial',
      operationId: 'getDevice',
      summary: 'A device: state history, last error; certificates and audit trail with ?include=',
      tag: 'devices',
      roles: ROLES.read,
      params: serialParams,
      query: deviceQuery,
      responses: { 200: { description: 'The device', schema: deviceDetail } },
      handle: (ctx, { params, query }) => getDeviceHandler(ctx, params.serial, query.include),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/devices/:serial/reprovision',
      operationId: 'reprovisionDevice',
      summary: 'New certificate: revoke the ACTIVE one, queue the device with the next job generation',
      tag: 'devices',
      roles: ROLES.admin,
      params: serialParams,
      responses: { 202: { description: 'Queued', schema: deviceActionResponse } },
      handle: (ctx, { params }) => reprovisionDeviceHandler(ctx, params.serial),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/devices/:serial/revoke',
      operationId: 'revokeDevice',
      summary: "Mark the device's ACTIVE certificate REVOKED (AWS-side revocation is the worker's job)",
      tag: 'devices',
      roles: ROLES.admin,
      params: serialParams,
      responses: { 200: { description: 'Revoked', schema: deviceActionResponse } },
      handle: (ctx, { params }) => revokeDeviceHandler(ctx, params.serial),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/devices/:serial/requeue',
      operationId: 'requeueDevice',
      summary:
        'Requeue a stuck unit: in flight with no live job. Keeps its state and certificates (a REGISTERING one is resolved first, never replaced); next job generation',
      tag: 'devices',
      roles: ROLES.admin,
      params: serialParams,
      responses: {
        202: { description: 'Requeued', schema: deviceRequeueResponse },
        409: {
          description:
            'INVALID_DEVICE_STATE: the unit is not in flight (QUEUED, CLAIMING, CERT_ISSUED, VERIFYING) or changed meanwhile; DEVICE_JOB_LIVE: a job will still run it',
          schema: problemSchema,
          contentType: 'application/problem+json',
        },
        503: {
          description: 'QUEUE_UNAVAILABLE: the queue could not be read or written',
          schema: problemSchema,
          contentType: 'application/problem+json',
        },
      },
      handle: (ctx, { params }) => requeueDeviceHandler(ctx, params.serial),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates',
      operationId: 'listTemplates',
      summary: 'Provisioning templates this deployment allows',
      tag: 'templates',
      roles: ROLES.read,
      responses: { 200: { description: 'Templates', schema: templatesResponse } },
      handle: (ctx) => listTemplatesHandler(ctx),
    }),
  ];
}
