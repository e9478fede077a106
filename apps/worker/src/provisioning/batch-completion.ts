import type { PrismaClient } from '@claimline/db';

/**
 * Stamps a batch finished once none of its devices is still in the provisioning pipeline. Called
 * after every device settles; the single conditional UPDATE makes concurrent workers harmless.
 */
export async function markBatchFinishedIfDone(prisma: PrismaClient, batchId: string): Promise<void> {
  await prisma.$executeRaw`
    UPDATE batch SET finished_at = now()
    WHERE id = ${batchId}::uuid AND finished_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM device
        WHERE batch_id = ${batchId}::uuid AND state IN ('QUEUED', 'CLAIMING', 'CERT_ISSUED')
      )`;
}
