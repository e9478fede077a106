import { ROLES } from '../auth/roles.js';
import { getDeviceHandler, reprovisionDeviceHandler, revokeDeviceHandler } from '../handlers/devices.js';
import { listTemplatesHandler } from '../handlers/list-templates.js';
import { defineRoute, type ApiRoute } from '../http/route.js';
import { serialParams } from '../schemas/common.js';
import { deviceActionResponse, deviceDetail, deviceQuery, templatesResponse } from '../schemas/device.js';

export function deviceRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/devices/:serial',
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
      summary: "Mark the device's ACTIVE certificate REVOKED (AWS-side revocation is the worker's job)",
      tag: 'devices',
      roles: ROLES.admin,
      params: serialParams,
      responses: { 200: { description: 'Revoked', schema: deviceActionResponse } },
      handle: (ctx, { params }) => revokeDeviceHandler(ctx, params.serial),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates',
      summary: 'Provisioning templates this deployment allows',
      tag: 'templates',
      roles: ROLES.read,
      responses: { 200: { description: 'Templates', schema: templatesResponse } },
      handle: (ctx) => listTemplatesHandler(ctx),
    }),
  ];
}
