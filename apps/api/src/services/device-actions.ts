import type { DeviceState } from '@claimline/db';
import { fromStates, requeueForReprovision, requestRevocation } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { audit, callerOf } from './audit.js';
import { enqueueOrFail, enqueueRevocations } from './enqueue.js';

/**
 * Re-provisioning is for a device whose provisioning ended: it got a certificate (REGISTERED and the
 * station states after it) or failed. QUEUED/CLAIMING/CERT_ISSUED are in flight (a job owns them) and
 * CANCELLED belongs to a cancelled batch, so they are refused.
 */
export const REPROVISIONABLE: readonly DeviceState[] = fromStates('reprovision');

/**
 * New certificate for the device: its ACTIVE certificate becomes REVOKING first (at most one ACTIVE per
 * device; its key shredded), the device goes back to QUEUED with the next job generation, and the
 * provisioning job and the revocation at AWS (maintenance queue) are enqueued.
 */
export async function reprovisionDevice(ctx: HandlerContext, serial: string) {
  const { prisma } = ctx.deps;
  const { device, revoked, priority } = await prisma.$transaction(async (tx) => {
    const current = await tx.device.findUnique({
      where: { serial },
      include: { batch: { select: { priority: true, mode: true } } },
    });
    if (!current) throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
    if (!REPROVISIONABLE.includes(current.state)) {
      throw new AppError(
        'INVALID_DEVICE_STATE',
        `a ${current.state} device cannot be re-provisioned; allowed: ${REPROVISIONABLE.join(', ')}`,
        {
          state: current.state,
        },
      );
    }
    const revoking = await requestRevocation(tx, callerOf(ctx), current.id);
    const revokedIds = revoking.map((c) => c.certificateId);
    // Conditional on the state we checked, so a concurrent change makes this a no-op we detect.
    // A unit that holds its own key goes back to AWAITING_CSR: it must send a new CSR, no job until then.
    const keyInUnit = current.batch.mode === 'DEVICE_CSR';
    if (!(await requeueForReprovision(tx, current, keyInUnit)))
      throw new AppError('INVALID_DEVICE_STATE', 'the device changed state meanwhile; try again');
    await tx.batch.update({ where: { id: current.batchId }, data: { finishedAt: null } });
    await audit(tx, ctx, {
      action: 'device.reprovision',
      deviceId: current.id,
      batchId: current.batchId,
      details: { fromState: current.state, revokedCertificateIds: revokedIds },
    });
    const device = await tx.device.findUniqueOrThrow({ where: { id: current.id } });
    return { device, revoked: revoking, priority: current.batch.priority };
  });
  await enqueueRevocations(ctx.deps, revoked);
  if (device.state === 'QUEUED')
    await enqueueOrFail(
      ctx.deps,
      [{ deviceId: device.id, serial, generation: device.provisionGeneration }],
      priority,
      device.batchId,
    );
  return {
    serial,
    state: device.state,
    generation: device.provisionGeneration,
    revokedCertificateIds: revoked.map((c) => c.certificateId),
  };
}

/**
 * Marks the device's ACTIVE certificate REVOKING (its key shredded) and audits it; the maintenance
 * queue revokes it at AWS (UpdateCertificate REVOKED, detached) and then marks it REVOKED. The API never
 * talks to AWS. The device's state is left as it is.
 */
export async function revokeDeviceCertificate(ctx: HandlerContext, serial: string) {
  const { prisma } = ctx.deps;
  const { answer, revoking } = await prisma.$transaction(async (tx) => {
    const device = await tx.device.findUnique({ where: { serial } });
    if (!device) throw new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`);
    const revoking = await requestRevocation(tx, callerOf(ctx), device.id);
    const revoked = revoking.map((c) => c.certificateId);
    if (revoked.length === 0)
      throw new AppError('NO_ACTIVE_CERTIFICATE', `device ${serial} has no ACTIVE certificate`);
    await audit(tx, ctx, {
      action: 'device.revoke',
      deviceId: device.id,
      batchId: device.batchId,
      details: { revokedCertificateIds: revoked },
    });
    const answer = {
      serial,
      state: device.state,
      generation: device.provisionGeneration,
      revokedCertificateIds: revoked,
    };
    return { answer, revoking };
  });
  await enqueueRevocations(ctx.deps, revoking);
  return answer;
}
