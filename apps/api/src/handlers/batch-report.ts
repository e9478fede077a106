import type { Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import type { HandlerContext } from '../http/route.js';
import { audit } from '../services/audit.js';
import { findVisibleBatch } from '../services/batch-access.js';
import { REPORT_COLUMNS, csvLine, jsonRecord, reportRows, write } from '../services/report.js';

function wantsCsv(req: Request, format: 'csv' | 'json' | undefined): boolean {
  if (format) return format === 'csv';
  const chosen = req.accepts(['application/json', 'text/csv']);
  if (!chosen)
    throw new AppError('NOT_ACCEPTABLE', 'the report is available as application/json or text/csv');
  return chosen === 'text/csv';
}

/** Streams the report page by page; an error after the first byte can only cut the stream short. */
export async function batchReportHandler(
  ctx: HandlerContext,
  id: string,
  format: 'csv' | 'json' | undefined,
  req: Request,
  res: Response,
): Promise<void> {
  const csv = wantsCsv(req, format);
  const batch = await findVisibleBatch(ctx, ctx.deps.prisma, id);
  await audit(ctx.deps.prisma, ctx, {
    action: 'batch.report',
    batchId: id,
    details: { format: csv ? 'csv' : 'json' },
  });
  res.status(200);
  if (csv) {
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="batch-${batch.id}.csv"`);
    await write(res, `${REPORT_COLUMNS.join(',')}\n`);
    for await (const rows of reportRows(ctx.deps.prisma, id)) await write(res, rows.map(csvLine).join(''));
  } else {
    res.type('application/json');
    await write(
      res,
      `{"batchId":${JSON.stringify(batch.id)},"externalRef":${JSON.stringify(batch.externalRef)},"devices":[`,
    );
    let first = true;
    for await (const rows of reportRows(ctx.deps.prisma, id)) {
      await write(res, (first ? '' : ',') + rows.map(jsonRecord).join(','));
      first = false;
    }
    await write(res, ']}');
  }
  res.end();
}
