import type { ApiConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import { appendAudit, appendAuditBulk, type Actor, type AuditEntry } from '@claimline/device-ledger';
import type { Logger } from '@claimline/logger';

const FLUSH_AT_ENTRIES = 1_000;

export type ReadAudit = {
  /** Records a plain read (never a key-material read: those are audited one by one, in their transaction). */
  record(who: Actor, entry: AuditEntry): Promise<void>;
  /** Writes what is buffered (shutdown, tests). */
  flush(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Audit of plain reads by configuration (API_READ_AUDIT): `each` appends one row per read before the
 * answer; `batched` buffers rows (the read time in `details.readAt`) and appends them every
 * API_READ_AUDIT_FLUSH_MS or every 1,000 reads, one multi-row insert per caller; `sampled` keeps a
 * fraction of the reads, batched. Writes go through the device ledger like every audit row.
 */
export function createReadAudit(
  db: PrismaClient,
  config: Pick<ApiConfig, 'API_READ_AUDIT' | 'API_READ_AUDIT_FLUSH_MS' | 'API_READ_AUDIT_SAMPLE_RATE'>,
  logger: Logger,
  random: () => number = Math.random,
): ReadAudit {
  const mode = config.API_READ_AUDIT;
  // Buffered reads keep their time as a number: the details object and its ISO string are made at the flush.
  const buffer = new Map<string, { who: Actor; entries: AuditEntry[]; readAt: number[] }>();
  const sampled = mode === 'sampled';
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    const groups = [...buffer.values()];
    buffer.clear();
    buffered = 0;
    const withTimes = (g: (typeof groups)[number]) =>
      g.entries.map((entry, i) => ({
        ...entry,
        details: { readAt: new Date(g.readAt[i]!).toISOString(), ...(sampled ? { sampled: true } : {}) },
      }));
    const writing = Promise.all(groups.map((g) => appendAuditBulk(db, g.who, withTimes(g))))
      .then(() => undefined)
      .catch((err: unknown) =>
        logger.error(
          { err, lost: groups.reduce((n, g) => n + g.entries.length, 0) },
          'read audit flush failed',
        ),
      );
    inFlight.add(writing);
    await writing.finally(() => inFlight.delete(writing));
  };

  return {
    async record(who, entry) {
      if (mode === 'each') return appendAudit(db, who, [entry]);
      if (mode === 'sampled' && random() >= config.API_READ_AUDIT_SAMPLE_RATE) return;
      const key = `${who.actor}\u0000${who.origin ?? ''}`;
      let group = buffer.get(key);
      if (!group) buffer.set(key, (group = { who, entries: [], readAt: [] }));
      group.entries.push(entry);
      group.readAt.push(Date.now());
      buffered++;
      if (buffered >= FLUSH_AT_ENTRIES) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), config.API_READ_AUDIT_FLUSH_MS);
        timer.unref();
      }
    },
    flush,
    async stop() {
      await flush();
      await Promise.allSettled([...inFlight]);
    },
  };
}
