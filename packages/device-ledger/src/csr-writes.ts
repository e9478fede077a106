import type { Prisma } from '@claimline/db';
import { appendAudit, type Actor } from './audit-log.js';
import { fromStates } from './device-states.js';

/** A unit's CSR as a station posted it (public material: the key stays in the unit). */
export type ReceivedCsr = {
  deviceId: string;
  batchId: string;
  csrPem: string;
  /** What the audit keeps: key type, SHA-256 of the CSR's DER, the station. Never the CSR's key bytes. */
  details: Prisma.InputJsonValue;
};

/**
 * csrReceived: AWAITING_CSR → QUEUED with the CSR stored and the audit event, guarded on the state so
 * that of two stations posting at once exactly one wins. Returns the job generation, or null if the
 * unit was no longer waiting for its CSR.
 */
export async function recordCsr(
  tx: Prisma.TransactionClient,
  who: Actor,
  csr: ReceivedCsr,
  at: Date = new Date(),
): Promise<{ generation: number } | null> {
  const rows = await tx.$queryRawUnsafe<{ provision_generation: number }[]>(
    `UPDATE device SET state = 'QUEUED', csr_pem = $2, csr_received_at = $3, queued_at = $3, updated_at = $3
      WHERE id = $1::uuid AND state = ANY($4::text[]::"DeviceState"[])
      RETURNING provision_generation`,
    csr.deviceId,
    csr.csrPem,
    at,
    fromStates('csrReceived'),
  );
  if (rows.length !== 1) return null;
  await appendAudit(tx, who, [
    { action: 'device.csr-received', deviceId: csr.deviceId, batchId: csr.batchId, details: csr.details },
  ]);
  return { generation: rows[0]!.provision_generation };
}
