import type { HandlerContext, HandlerResult } from '../http/route.js';
import { assignStations, reassignDevice, registerStation } from '../services/station/station-admin.js';

export async function registerStationHandler(
  ctx: HandlerContext,
  body: { name: string; line?: string },
): Promise<HandlerResult> {
  return { status: 201, body: await registerStation(ctx, body), headers: { 'Cache-Control': 'no-store' } };
}

export async function assignStationsHandler(
  ctx: HandlerContext,
  batchId: string,
  stations: string[],
): Promise<HandlerResult> {
  return { status: 200, body: await assignStations(ctx, batchId, stations) };
}

export async function reassignDeviceHandler(ctx: HandlerContext, serial: string): Promise<HandlerResult> {
  return { status: 200, body: await reassignDevice(ctx, serial) };
}
