import { ROLES } from '../auth/roles.js';
import type { AppDeps } from '../deps.js';
import {
  approveStationKeyHandler,
  assignStationsHandler,
  reassignDeviceHandler,
  registerStationHandler,
  revokeKeyHandler,
  revokeStationHandler,
  showStationHandler,
} from '../handlers/station-admin.js';
import {
  confirmHandler,
  credentialsHandler,
  prefetchHandler,
  setStationKeyHandler,
  stationBatchesHandler,
  submitCsrHandler,
} from '../handlers/station.js';
import { defineRoute, type ApiRoute, type ResponseSpec } from '../http/route.js';
import { batchIdParams, problemSchema, serialParams } from '../schemas/common.js';
import {
  apiKeyPrefixParams,
  approveKeyBody,
  assignStationsBody,
  assignStationsResponse,
  confirmBody,
  confirmResponse,
  credentialsQuery,
  credentialsSchema,
  prefetchQuery,
  prefetchResponse,
  reassignResponse,
  registerStationBody,
  registerStationResponse,
  stationBatchesResponse,
  stationKeyBody,
  stationKeyResponse,
  stationNameParams,
  stationViewResponse,
  revokedKeyResponse,
  submitCsrBody,
  submitCsrResponse,
} from '../schemas/station.js';
import { assertCsrSize } from '../services/station/submit-csr.js';
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
    defineRoute({
      method: 'get',
      path: '/v1/stations/:name',
      operationId: 'getStation',
      summary:
        "A station: its key fingerprints, and a pending key replacement's (compare with init's output)",
      tag: 'stations',
      roles: ROLES.admin,
      params: stationNameParams,
      responses: {
        200: { description: 'The station', schema: stationViewResponse },
        404: problem('STATION_NOT_FOUND'),
      },
      handle: (ctx, { params }) => showStationHandler(ctx, params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/stations/:name/key/approve',
      operationId: 'approveStationKey',
      summary: 'Approve a pending station key replacement, stating the fingerprints compared (audited)',
      tag: 'stations',
      roles: ROLES.admin,
      params: stationNameParams,
      body: approveKeyBody,
      responses: {
        200: { description: 'The new keys are active', schema: stationViewResponse },
        404: problem('STATION_NOT_FOUND'),
        409: problem('NO_PENDING_KEY, FINGERPRINT_MISMATCH'),
      },
      handle: (ctx, { params, body }) => approveStationKeyHandler(ctx, params.name, body),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/stations/:name/revoke',
      operationId: 'revokeStation',
      summary: 'Revoke a station: its next request and download are refused (audited)',
      tag: 'stations',
      roles: ROLES.admin,
      params: stationNameParams,
      responses: {
        200: { description: 'Revoked', schema: stationViewResponse },
        404: problem('STATION_NOT_FOUND'),
      },
      handle: (ctx, { params }) => revokeStationHandler(ctx, params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/api-keys/:prefix/revoke',
      operationId: 'revokeApiKey',
      summary: 'Revoke any API key by its prefix: its next request is refused (audited)',
      tag: 'stations',
      roles: ROLES.admin,
      params: apiKeyPrefixParams,
      responses: {
        200: { description: 'Revoked', schema: revokedKeyResponse },
        404: problem('API_KEY_NOT_FOUND'),
      },
      handle: (ctx, { params }) => revokeKeyHandler(ctx, params.prefix),
    }),
  ];
}

const signatureErrors = {
  401: problem(
    'UNAUTHENTICATED, SIGNATURE_MISSING, SIGNATURE_INVALID, SIGNATURE_STALE, SIGNATURE_REPLAYED, CONTENT_DIGEST_MISMATCH',
  ),
};

const downloadErrors = {
  ...signatureErrors,
  403: problem('FORBIDDEN, NOT_A_STATION, STATION_REVOKED, STATION_KEY_PENDING, STATION_NOT_ASSIGNED'),
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
      summary:
        "Enrol this station's seal and signing keys (signed with the signing key sent): the first keys are active at once, a replacement waits for an ADMIN's approval",
      tag: 'station',
      roles: STATION,
      signed: 'enrolment',
      body: stationKeyBody,
      responses: {
        200: { description: 'Active', schema: stationKeyResponse },
        202: { description: 'Pending approval by an ADMIN', schema: stationKeyResponse },
        ...signatureErrors,
        403: problem('FORBIDDEN, NOT_A_STATION, STATION_REVOKED'),
        422: problem('INVALID_PUBLIC_KEY, INVALID_SIGNING_KEY'),
      },
      handle: (ctx, { body }, req) => setStationKeyHandler(ctx, setup, req, body),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/batches',
      operationId: 'listStationBatches',
      summary: 'Batches this station may serve, with counts',
      tag: 'station',
      roles: STATION,
      signed: 'station',
      responses: {
        200: { description: 'Batches', schema: stationBatchesResponse },
        ...signatureErrors,
        403: problem('FORBIDDEN, NOT_A_STATION, STATION_REVOKED, STATION_KEY_PENDING'),
      },
      handle: (ctx) => stationBatchesHandler(ctx),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/devices/:serial/credentials',
      operationId: 'downloadDeviceCredentials',
      summary:
        "A unit's certificate, CA, endpoint, thing and private key sealed to this station (no key for a device-csr unit: it holds its own); marks it DOWNLOADED (audited). ?waitSeconds long-polls a unit being provisioned",
      tag: 'station',
      roles: STATION,
      signed: 'station',
      params: serialParams,
      query: credentialsQuery,
      responses: {
        200: { description: 'Credentials', schema: credentialsSchema },
        404: problem('DEVICE_NOT_FOUND'),
        ...downloadErrors,
        409: problem(
          'STATION_NO_PUBLIC_KEY, DEVICE_AWAITING_CSR, DEVICE_NOT_PROVISIONED (with state; FAILED with errorCode), DEVICE_ALREADY_BURNED, DEVICE_DOWNLOADED_BY_OTHER_STATION, NO_ACTIVE_CERTIFICATE',
        ),
      },
      handle: (ctx, { params, query }) =>
        credentialsHandler(ctx, setup, params.serial, query.waitSeconds ?? 0),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/station/devices/:serial/csr',
      operationId: 'submitDeviceCsr',
      summary:
        'Send the CSR of a unit of a device-csr batch (its key stays in the unit): checked, stored, audited, and its job enqueued at the top priority',
      tag: 'station',
      roles: STATION,
      signed: 'station',
      params: serialParams,
      body: submitCsrBody,
      precheck: assertCsrSize,
      responses: {
        202: { description: 'Stored; the unit is QUEUED', schema: submitCsrResponse },
        ...signatureErrors,
        403: problem('FORBIDDEN, NOT_A_STATION, STATION_REVOKED, STATION_KEY_PENDING, STATION_NOT_ASSIGNED'),
        404: problem('DEVICE_NOT_FOUND'),
        409: problem('CSR_NOT_EXPECTED, CSR_ALREADY_RECEIVED, INVALID_DEVICE_STATE'),
        413: problem('CSR_TOO_LARGE'),
        422: problem('CSR_MALFORMED, CSR_KEY_TYPE_NOT_ALLOWED, CSR_SIGNATURE_INVALID, CSR_SUBJECT_MISMATCH'),
      },
      handle: (ctx, { params, body }) => submitCsrHandler(ctx, params.serial, body),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/station/batches/:id/credentials',
      operationId: 'prefetchBatchCredentials',
      summary:
        'Prefetch: a page of the units this station may take, each sealed and marked DOWNLOADED (audited)',
      tag: 'station',
      roles: STATION,
      signed: 'station',
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
      signed: 'station',
      params: serialParams,
      body: confirmBody,
      responses: {
        200: { description: 'State after the report', schema: confirmResponse },
        ...signatureErrors,
        403: problem('FORBIDDEN, NOT_A_STATION, STATION_REVOKED, STATION_KEY_PENDING'),
        404: problem('DEVICE_NOT_FOUND'),
        409: problem('DEVICE_NOT_DOWNLOADED, DEVICE_DOWNLOADED_BY_OTHER_STATION, DEVICE_ALREADY_BURNED'),
      },
      handle: (ctx, { params, body }) => confirmHandler(ctx, setup, params.serial, body),
    }),
  ];
}
