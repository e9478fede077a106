import { readJournal } from '../journal.js';
import { countOffline } from '../offline-store.js';
import { openStation, type CommonOptions } from '../station-context.js';

export async function stationStatus(
  options: CommonOptions & { log?: (line: string) => void },
): Promise<void> {
  const ctx = openStation(options);
  const log = options.log ?? ((line: string) => console.log(line));
  const { entries, synced } = readJournal(ctx.paths);
  log(
    `station ${ctx.settings.stationName} (${ctx.settings.algorithm}, key ${ctx.settings.fingerprint.slice(0, 16)}…) → ${ctx.settings.server}`,
  );
  log(
    `offline store: ${countOffline(ctx.paths)} unit(s); journal: ${entries.length - synced} confirmation(s) to sync`,
  );
  const { items } = await ctx.client.batches();
  if (items.length === 0) {
    log('no batch for this station');
    return;
  }
  const header = [
    'batch',
    'ref',
    'total',
    'provisioning',
    'available',
    'held here',
    'burned here',
    'failed here',
    'burned (all)',
  ];
  const rows = items.map((b) =>
    [
      b.id,
      b.externalRef,
      b.counts.total,
      b.counts.provisioning,
      b.counts.available,
      b.counts.downloadedHere,
      b.counts.burnedHere,
      b.counts.burnFailedHere,
      b.counts.burnedTotal,
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}
