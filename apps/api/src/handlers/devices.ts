import type { HandlerContext, HandlerResult } from '../http/route.js';
import { audit } from '../services/audit.js';
import { reprovisionDevice, revokeDeviceCertificate } from '../services/device-actions.js';
import { requeueStuckDevice } from '../services/device-requeue.js';
import { deviceDetail, findDevice } from '../services/device-view.js';

/** Reads of a device are audited (who looked at which unit), one insert per read. */
export async function getDeviceHandler(ctx: HandlerContext, serial: string): Promise<HandlerResult> {
  const device = await findDevice(ctx.deps.prisma, serial);
  const [body] = await Promise.all([
    deviceDetail(ctx.deps.prisma, device),
    audit(ctx.deps.prisma, ctx, { action: 'device.read', deviceId: device.id, batchId: device.batchId }),
  ]);
  return { status: 200, body };
}

export async function reprovisionDeviceHandler(ctx: HandlerContext, serial: string): Promise<HandlerResult> {
  return { status: 202, body: await reprovisionDevice(ctx, serial) };
}

export async function revokeDeviceHandler(ctx: HandlerContext, serial: string): Promise<HandlerResult> {
  return { status: 200, body: await revokeDeviceCertificate(ctx, serial) };
}

export async function requeueDeviceHandler(ctx: HandlerContext, serial: string): Promise<HandlerResult> {
  return { status: 202, body: await requeueStuckDevice(ctx, serial) };
}
