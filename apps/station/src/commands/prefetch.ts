import { SingleBar } from 'cli-progress';
import { storeOffline } from '../offline-store.js';
import { ensurePrivateDir } from '../station-dir.js';
import { openStation, type CommonOptions } from '../station-context.js';

export type PrefetchOptions = CommonOptions & { batch: string; pageSize?: number; progress?: boolean };

/**
 * Downloads every unit of a batch this station may take into the offline store. The server marks each
 * one DOWNLOADED by this station (audited), so no other station can burn the same identity meanwhile.
 */
export async function prefetchBatch(options: PrefetchOptions): Promise<{ stored: number }> {
  const ctx = openStation(options);
  ensurePrivateDir(ctx.paths.dir);
  const { items } = await ctx.client.batches();
  const counts = items.find((b) => b.id === options.batch)?.counts;
  const expected = counts ? counts.available + counts.downloadedHere + counts.burnFailedHere : 0;
  const bar =
    options.progress === false
      ? undefined
      : new SingleBar({
          format: 'prefetch [{bar}] {value}/{total} units',
          stream: process.stderr,
          noTTYOutput: false,
        });
  bar?.start(expected, 0);
  let stored = 0;
  let cursor: string | null = null;
  try {
    do {
      const page: Awaited<ReturnType<typeof ctx.client.prefetchPage>> = await ctx.client.prefetchPage(
        options.batch,
        cursor,
        options.pageSize ?? 100,
      );
      for (const creds of page.items) {
        storeOffline(ctx.paths, creds);
        stored++;
        if (bar && stored > bar.getTotal()) bar.setTotal(stored);
        bar?.update(stored);
      }
      cursor = page.nextCursor;
    } while (cursor);
  } finally {
    bar?.stop();
  }
  return { stored };
}
