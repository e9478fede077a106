import type { HandlerContext, HandlerResult } from '../http/route.js';
import { assignStations, reassignDevice, registerStation } from '../services/station/station-admin.js';
import {
  approveStationKey,
  revokeKey,
  revokeStation,
  showStation,
} from '../services/station/station-trust-admin.js';

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

export async function showStationHandler(ctx: HandlerContext, name: string): Promise<HandlerResult> {
  return { status: 200, body: await showStation(ctx, name) };
}

export async function approveStationKeyHandler(
  ctx: HandlerContext,
  name: string,
  body: { fingerprint: string; signingFingerprint: string },
): Promise<HandlerResult> {
  return { status: 200, body: await approveStationKey(ctx, name, body) };
}

export async function revokeStationHandler(ctx: HandlerContext, name: string): Promise<HandlerResult> {
  return { status: 200, body: await revokeStation(ctx, name) };
}

export async function revokeKeyHandler(ctx: HandlerContext, prefix: string): Promise<HandlerResult> {
  return { status: 200, body: await revokeKey(ctx, prefix) };
}
