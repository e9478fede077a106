import type { Batch, Prisma, PrismaClient } from '@claimline/db';
import { AppError } from '../errors/app-error.js';
import { keyAlgorithmFromDb, modeFromDb, payloadFormatFromDb } from './wire-enums.js';

export type BatchState = 'open' | 'finished' | 'cancelled';

export function batchState(batch: Pick<Batch, 'finishedAt' | 'cancelledAt'>): BatchState {
  if (batch.cancelledAt) return 'cancelled';
  return batch.finishedAt ? 'finished' : 'open';
}

export function whereState(state: BatchState | undefined): Prisma.BatchWhereInput {
  switch (state) {
    case 'open':
      return { finishedAt: null, cancelledAt: null };
    case 'finished':
      return { finishedAt: { not: null }, cancelledAt: null };
    case 'cancelled':
      return { cancelledAt: { not: null } };
    default:
      return {};
  }
}

export function toBatchSummary(batch: Batch) {
  return {
    id: batch.id,
    externalRef: batch.externalRef,
    templateName: batch.templateName,
    payloadFormat: payloadFormatFromDb[batch.payloadFormat],
    mode: modeFromDb[batch.mode],
    keyAlgorithm: keyAlgorithmFromDb[batch.keyAlgorithm],
    priority: batch.priority,
    state: batchState(batch),
    createdAt: batch.createdAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? null,
    cancelledAt: batch.cancelledAt?.toISOString() ?? null,
  };
}

/** A batch with its progress; finished as soon as the progress says so (finished_at is being written). */
export function toBatchDetail<P extends { finished: boolean }>(batch: Batch, progress: P) {
  const summary = toBatchSummary(
    progress.finished && !batch.finishedAt ? { ...batch, finishedAt: new Date() } : batch,
  );
  return { ...summary, progress };
}

export async function findBatch(prisma: PrismaClient | Prisma.TransactionClient, id: string): Promise<Batch> {
  const batch = await prisma.batch.findUnique({ where: { id } });
  if (!batch) throw new AppError('BATCH_NOT_FOUND', `no batch ${id}`);
  return batch;
}
