import type { HandlerContext, HandlerResult } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { callerOf } from '../services/audit.js';
import { canSeeBatch } from '../services/batch-access.js';
import { reprovisionDevice, revokeDeviceCertificate } from '../services/device-actions.js';
import { requeueStuckDevice } from '../services/device-requeue.js';
import { deviceBody, deviceDetail } from '../services/device-view.js';

/**
 * One indexed row (plus certificates and audit trail only with ?include=); the read is audited as
 * API_READ_AUDIT says (each, batched or sampled: see services/read-audit.ts).
 */
export async function getDeviceHandler(
  ctx: HandlerContext,
  serial: string,
  include: string | undefined,
): Promise<HandlerResult> {
  const device = await ctx.deps.deviceViews.find(serial);
  if (!canSeeBatch(ctx, device.batch))
    throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
  const recorded = ctx.deps.readAudit.record(callerOf(ctx), {
    action: 'device.read',
    deviceId: device.id,
    batchId: device.batchId,
  });
  if (include === undefined) {
    await recorded;
    return { status: 200, body: deviceBody(device) };
  }
  const parts = new Set(include.split(','));
  const [body] = await Promise.all([
    deviceDetail(ctx.deps.prisma, device, {
      certificates: parts.has('certificates'),
      audit: parts.has('audit'),
    }),
    recorded,
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
