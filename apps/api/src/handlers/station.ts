import type { Request } from 'express';
import type { HandlerContext, HandlerResult } from '../http/route.js';
import { awaitCredentials } from '../services/station/await-credentials.js';
import { confirmBurn, type ConfirmInput } from '../services/station/confirm.js';
import { downloadCredentials, prefetchCredentials } from '../services/station/credentials.js';
import { stationBatches } from '../services/station/station-batches.js';
import { setStationKey } from '../services/station/station-key.js';
import { submitUnitCsr } from '../services/station/submit-csr.js';
import type { StationSetup } from '../services/station/station-setup.js';
import { decodeCursor, encodeCursor } from './list-batch-devices.js';

export async function setStationKeyHandler(
  ctx: HandlerContext,
  setup: StationSetup,
  req: Request,
  body: { publicKey: string; signingPublicKey: string },
): Promise<HandlerResult> {
  const answer = await setStationKey(ctx, setup, req, body);
  return { status: answer.status === 'PENDING' ? 202 : 200, body: answer };
}

/** Key material is sealed: the answer must not sit in a shared cache. */
const NO_STORE = { 'Cache-Control': 'no-store' };

export async function credentialsHandler(
  ctx: HandlerContext,
  setup: StationSetup,
  serial: string,
  waitSeconds = 0,
): Promise<HandlerResult> {
  const body =
    waitSeconds > 0
      ? await awaitCredentials(ctx, setup, serial, waitSeconds)
      : await downloadCredentials(ctx, setup, serial);
  return { status: 200, body, headers: NO_STORE };
}

export async function submitCsrHandler(
  ctx: HandlerContext,
  serial: string,
  body: { csrPem: string },
): Promise<HandlerResult> {
  return { status: 202, body: await submitUnitCsr(ctx, serial, body.csrPem) };
}

export async function prefetchHandler(
  ctx: HandlerContext,
  setup: StationSetup,
  batchId: string,
  q: { cursor?: string; limit: number },
): Promise<HandlerResult> {
  const page = await prefetchCredentials(
    ctx,
    setup,
    batchId,
    q.cursor ? decodeCursor(q.cursor) : undefined,
    q.limit,
  );
  return {
    status: 200,
    body: { items: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null },
    headers: NO_STORE,
  };
}

export async function confirmHandler(
  ctx: HandlerContext,
  setup: StationSetup,
  serial: string,
  body: ConfirmInput,
): Promise<HandlerResult> {
  return { status: 200, body: await confirmBurn(ctx, setup, serial, body) };
}

export async function stationBatchesHandler(ctx: HandlerContext): Promise<HandlerResult> {
  return { status: 200, body: await stationBatches(ctx) };
}
