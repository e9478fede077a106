import { markSynced, readJournal } from '../journal.js';
import { openStation, type CommonOptions } from '../station-context.js';
import { StationError } from '../station-error.js';

/**
 * Uploads the journal's confirmations that the server has not accepted yet, in order. Each accepted
 * line advances journal.synced; a re-sent line is a no-op on the server. A confirmation the server
 * refuses for good (for example "failed" after the unit was burned elsewhere) is reported and skipped.
 */
export async function syncJournal(
  options: CommonOptions & { log?: (line: string) => void },
): Promise<{ uploaded: number; rejected: number; pending: number }> {
  const ctx = openStation(options);
  const log = options.log ?? ((line: string) => console.log(line));
  const { entries, synced } = readJournal(ctx.paths);
  let uploaded = 0;
  let rejected = 0;
  for (let i = synced; i < entries.length; i++) {
    const { serial, result, burnLogSha256, detail } = entries[i]!;
    try {
      await ctx.client.confirm(serial, { result, burnLogSha256, ...(detail ? { detail } : {}) });
      uploaded++;
    } catch (error) {
      if (
        error instanceof StationError &&
        (error.code === 'SERVER_UNREACHABLE' || error.code === 'SERVER_ERROR')
      ) {
        markSynced(ctx.paths, i);
        log(`stopped: ${error.message}; ${entries.length - i} confirmation(s) still to upload`);
        return { uploaded, rejected, pending: entries.length - i };
      }
      rejected++;
      log(`REJECTED ${serial} ${result}: ${(error as Error).message}`);
    }
    markSynced(ctx.paths, i + 1);
  }
  log(`sync: ${uploaded} uploaded, ${rejected} rejected, 0 pending`);
  return { uploaded, rejected, pending: 0 };
}
