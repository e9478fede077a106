import type { DeviceState, Prisma } from '@claimline/db';

/** One unit as the caller read it: the write only happens if it is still in that state. */
type Observed = { id: string; state: DeviceState };

/**
 * reprovision: the unit back to QUEUED with the next job generation, its station and errors cleared
 * (its ACTIVE certificate is revoked by the caller first: requestRevocation). A unit that holds its own key (device-csr)
 * goes back to AWAITING_CSR instead, its CSR dropped: a station posts a new one (reprovisionAwaitingCsr).
 * False if it changed state meanwhile.
 */
export async function requeueForReprovision(
  tx: Prisma.TransactionClient,
  device: Observed,
  keyInUnit = false,
): Promise<boolean> {
  const updated = await tx.device.updateMany({
    where: { id: device.id, state: device.state },
    data: {
      state: keyInUnit ? 'AWAITING_CSR' : 'QUEUED',
      ...(keyInUnit ? { csrPem: null, csrReceivedAt: null } : {}),
      queuedAt: new Date(),
      attempts: 0,
      provisionGeneration: { increment: 1 },
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorRetryable: null,
      downloadedByStationId: null,
      burnLogDigest: null,
    },
  });
  return updated.count === 1;
}

/** reassign: a downloaded unit back to REGISTERED, free for any station. False if it changed meanwhile. */
export async function releaseFromStation(tx: Prisma.TransactionClient, device: Observed): Promise<boolean> {
  const updated = await tx.device.updateMany({
    where: { id: device.id, state: device.state },
    data: { state: 'REGISTERED', downloadedByStationId: null, downloadedAt: null },
  });
  return updated.count === 1;
}
