import { once } from 'node:events';
import type { PrismaClient } from '@claimline/db';
import type { Response } from 'express';

const PAGE = 2_000;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export type ReportRow = {
  id: string;
  serial: string;
  thingName: string | null;
  certificateId: string | null;
  state: string;
  errorCode: string | null;
  errorMessage: string | null;
  queuedAt: Date;
  registeredAt: Date | null;
  downloadedAt: Date | null;
  burnedAt: Date | null;
  failedAt: Date | null;
  updatedAt: Date;
};

export const REPORT_COLUMNS = [
  'serial',
  'thingName',
  'certificateId',
  'state',
  'errorCode',
  'errorMessage',
  'queuedAt',
  'registeredAt',
  'downloadedAt',
  'burnedAt',
  'failedAt',
  'updatedAt',
] as const;

/**
 * Keyset pages of the batch's devices with their current certificate id (the ACTIVE one, else the
 * newest). The query names its columns: no key material can ever reach a report.
 */
export async function* reportRows(prisma: PrismaClient, batchId: string): AsyncGenerator<ReportRow[]> {
  let after = NIL_UUID;
  for (;;) {
    const rows = await prisma.$queryRawUnsafe<ReportRow[]>(
      `SELECT d.id::text AS id, d.serial, d.thing_name AS "thingName", c.certificate_id AS "certificateId",
              d.state::text AS state, d.last_error_code AS "errorCode", d.last_error_message AS "errorMessage",
              d.queued_at AS "queuedAt", d.registered_at AS "registeredAt", d.downloaded_at AS "downloadedAt",
              d.burned_at AS "burnedAt", d.failed_at AS "failedAt", d.updated_at AS "updatedAt"
         FROM device d
         LEFT JOIN LATERAL (
           SELECT certificate_id FROM certificate c WHERE c.device_id = d.id
            ORDER BY (c.status = 'ACTIVE') DESC, c.created_at DESC LIMIT 1) c ON true
        WHERE d.batch_id = $1::uuid AND d.id > $2::uuid
        ORDER BY d.id LIMIT ${PAGE}`,
      batchId,
      after,
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`; // no formulas when a spreadsheet opens it
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(row: ReportRow): string {
  return `${REPORT_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
}

export function jsonRecord(row: ReportRow): string {
  return JSON.stringify(
    Object.fromEntries(
      REPORT_COLUMNS.map((c) => [c, row[c] instanceof Date ? (row[c] as Date).toISOString() : row[c]]),
    ),
  );
}

/** Writes with back-pressure, so a 100,000-line report never sits whole in memory. */
export async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await once(res, 'drain');
}
