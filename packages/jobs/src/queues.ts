import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES } from './catalog.js';

export type Queues = { provisioning: Queue; maintenance: Queue; all: Queue[]; close(): Promise<void> };

/** Producer-side handles of every queue (the API enqueues, the dashboard lists them). */
export function createQueues(connection: Redis, prefix: string): Queues {
  const provisioning = new Queue(QUEUES.provisioning, { connection, prefix });
  const maintenance = new Queue(QUEUES.maintenance, { connection, prefix });
  const all = [provisioning, maintenance];
  return {
    provisioning,
    maintenance,
    all,
    async close() {
      await Promise.all(all.map((q) => q.close()));
    },
  };
}
