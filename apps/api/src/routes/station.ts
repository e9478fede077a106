import { ROLES } from '../auth/roles.js';
import type { AppDeps } from '../deps.js';
import {
  assignStationsHandler,
  reassignDeviceHandler,
  registerStationHandler,
} from '../handlers/station-admin.js';
import {
  confirmHandler,
  credentialsHandler,
  prefetchHandler,
  setStationKeyHandler,
  stationBatchesHandler,
} from '../handlers/station.js';
import { defineRoute, type ApiRoute, type ResponseSpec } from '../http/route.js';
import { batchIdParams, problemSchema, serialParams } from '../schemas/common.js';
import {
  assignStationsBody,
  assignStationsResponse,
  confirmBody,
  confirmResponse,
  credentialsSchema,
  prefetchQuery,
  prefetchResponse,
  reassignResponse,
  registerStationBody,
  registerStationResponse,
  stationBatchesResponse,
  stationKeyBody,
  stationKeyResponse,
} from '../schemas/station.js';
import { createStationSetup, type StationSetup } from '../services/station/station-setup.js';

const problem = (description: string): ResponseSpec => ({
  description,
  schema: problemSchema,
  contentType: 'application/problem+json',
});
/** Station keys only: an ADMIN key passes the role check but has no station, and gets 403 NOT_A_STATION. */
const STATION = ['STATION'] as const;

/** Admin side: register stations, assign them to batches, free a unit for another station. */
export function stationAdminRoutes(): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/stations',
      operationId: 'registerStation',
      summary: 'Register a programmer station; the answer holds its STATION key, once',
      tag: 'stations',
      roles: ROLES.admin,
      body: registerStationBody,
      responses: {
        201: { description: 'Registered', schema: registerStationResponse },
        409: problem('STATION_EXISTS'),
      },
      handle: (ctx, { body }) => registerStationHandler(ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/batches/:id/stations',
      operationId: 'assignBatchStations',
      summary: 'Allow stations to serve a batch (a batch with no station assigned may be served by any)',
      tag: 'stations',
      roles: ROLES.admin,
      params: batchIdParams,
      body: assignStationsBody,
      responses: {
        200: { description: 'The stations now assigned', schema: assignStationsResponse },
        404: problem('BATCH_NOT_FOUND, STATION_NOT_FOUND'),
      },
      handle: (ctx, { params, body }) => assignStationsHandler(ctx, params.id, body.stations),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/devices/:serial/reassign',
      operationId: 'reassignDevice',
      summary: 'Free a downloaded (not burned) unit so that another station may download it',
      tag: 'stations',
      roles: ROLES.admin,
      params: serialParams,
      responses: {
        200: { description: 'Back to REGISTERED, no station', schema: reassignResponse },
        409: problem('DEVICE_ALREADY_BURNED, INVALID_DEVICE_STATE'),
      },
      handle: (ctx, { params }) => reassignDeviceHandler(ctx, params.serial),
    }),
  ];
}

const downloadErrors = {
  403: problem('FORBIDDEN, NOT_A_STATION, STATION_NOT_ASSIGNED'),
  409: problem(
    'STATION_NO_PUBLIC_KEY, DEVICE_NOT_PROVISIONED (with state), DEVICE_ALREADY_BURNED, DEVICE_DOWNLOADED_BY_OTHER_STATION, NO_ACTIVE_CERTIFICATE',
  ),
  503: problem('CREDENTIALS_UNAVAILABLE: vault, device CA or endpoint not configured'),
};

/** The programmer stations' own endpoints (issue 6). `setup` is built once per app unless given. */
export function stationRoutes(deps: AppDeps, setup: StationSetup = createStationSetup(deps)): ApiRoute[] {
  return [
    defineRoute({
      method: 'put',
      path: '/v1/station/key',
      operationId: 'setStationKey',
      summary: "Register or replace this station's public key (X25519 or P-256)",
      tag: 'station',
      roles: STATION,
      body: stationKeyBody,
      responses: {
        200: { description: 'Stored', schema: stationKeyResponse },
        403: problem('FORBIDDEN, NOT_A_STATION'),
        422: problem('INVALID_PUBLIC_KEY'),
      },
      handle: (ctx, { body }) => setStationKeyHandler(ctx, body.publicKey),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/batches',
      operationId: 'listStationBatches',
      summary: 'Batches this station may serve, with counts',
      tag: 'station',
      roles: STATION,
      responses: {
        200: { description: 'Batches', schema: stationBatchesResponse },
        403: problem('FORBIDDEN, NOT_A_STATION'),
      },
      handle: (ctx) => stationBatchesHandler(ctx),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/devices/:serial/credentials',
      operationId: 'downloadDeviceCredentials',
      summary:
        "A unit's certificate, CA, endpoint, thing and private key sealed to this station; marks it DOWNLOADED (audited)",
      tag: 'station',
      roles: STATION,
      params: serialParams,
      responses: {
        200: { description: 'Credentials', schema: credentialsSchema },
        404: problem('DEVICE_NOT_FOUND'),
        ...downloadErrors,
      },
      handle: (ctx, { params }) => credentialsHandler(ctx, setup, params.serial),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/batches/:id/credentials',
      operationId: 'prefetchBatchCredentials',
      summary:
        'Prefetch: a page of the units this station may take, each sealed and marked DOWNLOADED (audited)',
      tag: 'station',
      roles: STATION,
      params: batchIdParams,
      query: prefetchQuery,
      responses: {
        200: { description: 'A page; follow nextCursor', schema: prefetchResponse },
        404: problem('BATCH_NOT_FOUND'),
        ...downloadErrors,
      },
      handle: (ctx, { params, query }) => prefetchHandler(ctx, setup, params.id, query),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/station/devices/:serial/confirm',
      operationId: 'confirmDeviceBurn',
      summary:
        'Report a burn: ok → BURNED (key shredded after the retention), failed → BURN_FAILED; the same report twice is harmless',
      tag: 'station',
      roles: STATION,
      params: serialParams,
      body: confirmBody,
      responses: {
        200: { description: 'State after the report', schema: confirmResponse },
        403: problem('FORBIDDEN, NOT_A_STATION'),
        404: problem('DEVICE_NOT_FOUND'),
        409: problem('DEVICE_NOT_DOWNLOADED, DEVICE_DOWNLOADED_BY_OTHER_STATION, DEVICE_ALREADY_BURNED'),
      },
      handle: (ctx, { params, body }) => confirmHandler(ctx, setup, params.serial, body),
    }),
  ];
}
