import fs from 'node:fs';
import type { ConfirmBody } from './api-client.js';
import { writeFileAtomic } from './files.js';
import type { StationPaths } from './station-dir.js';

export type JournalEntry = ConfirmBody & { serial: string; at: string };

/**
 * Confirmations made without the server. Each is one JSON line, appended and fsync'd before the operator
 * sees "burned", so a power cut loses nothing. `journal.synced` holds how many lines the server has
 * accepted; a crash between an upload and that write only re-sends lines, which the API answers as no-ops.
 */
export function appendJournal(paths: StationPaths, entry: JournalEntry): void {
  const fd = fs.openSync(paths.journal, 'a', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function readJournal(paths: StationPaths): { entries: JournalEntry[]; synced: number } {
  const text = fs.existsSync(paths.journal) ? fs.readFileSync(paths.journal, 'utf8') : '';
  // A torn last line (power cut mid-write) was never acknowledged to the operator: skip it.
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
  const synced = fs.existsSync(paths.synced) ? Number(fs.readFileSync(paths.synced, 'utf8').trim()) || 0 : 0;
  return { entries, synced: Math.min(synced, entries.length) };
}

export function markSynced(paths: StationPaths, count: number): void {
  writeFileAtomic(paths.synced, `${count}\n`, 0o600);
}
