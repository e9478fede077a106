import { migrationStatus } from '@claimline/db';
import type { AppDeps } from '../deps.js';

export type Check = { name: string; ok: boolean; detail?: string };

const TIMEOUT_MS = 2_000;

async function check(name: string, run: () => Promise<string | undefined>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    const problem = await Promise.race([run(), timeout]);
    return problem ? { name, ok: false, detail: problem } : { name, ok: true };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Postgres answers, Redis answers, and every migration in prisma/migrations is applied. */
export async function readiness(deps: AppDeps): Promise<Check[]> {
  return Promise.all([
    check('postgres', async () => {
      await deps.prisma.$queryRawUnsafe('SELECT 1');
      return undefined;
    }),
    check('redis', async () => {
      const pong = await deps.redis.ping();
      return pong === 'PONG' ? undefined : `unexpected answer ${pong}`;
    }),
    check('migrations', async () => {
      const status = await migrationStatus((sql) => deps.prisma.$queryRawUnsafe(sql));
      if (status.failed.length > 0) return `failed: ${status.failed.join(', ')}`;
      if (status.pending.length > 0) return `pending: ${status.pending.join(', ')}`;
      return undefined;
    }),
  ]);
}
