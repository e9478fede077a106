import type { ReconcileReport } from './reconcile.js';

const COLUMNS = ['kind', 'serial', 'thingName', 'certificateId', 'databaseStatus', 'awsStatus'] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | null): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per finding, a header first; the counts per kind are the JSON report's. */
export function reportToCsv(report: ReconcileReport): string {
  const rows = report.findings.map((finding) => COLUMNS.map((column) => csvField(finding[column])).join(','));
  return [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
