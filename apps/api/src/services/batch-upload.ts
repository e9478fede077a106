import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { withRawTransaction } from '@claimline/db';
import { appendAuditRaw } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { RESERVED_KEYS as RESERVED, assertStorableInput } from '../http/storable-input.js';
import { templateParametersSchema, uploadDeviceSchema, type UploadBatchQuery } from '../schemas/batch.js';
import { callerOf } from './audit.js';
import { BatchUnitWriter, enqueueStoredUnits, insertBatch, UNIT_CHUNK, type Unit } from './batch-store.js';
import { checkTemplate } from './templates.js';

const MAX_LISTED = 1_000;
const MAX_LINE_BYTES = 16_384;

export type UploadFormat = 'csv' | 'ndjson';

/** text/csv (a header line naming `serial` and any parameter columns) or NDJSON (one device per line). */
export function uploadFormat(contentType: string | undefined): UploadFormat {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  throw new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `expected text/csv or application/x-ndjson, got ${contentType ?? 'none'}`,
  );
}

const bad = (line: number, message: string) =>
  new AppError('INVALID_UPLOAD', `line ${line}: ${message}`, { line });

/** Counts bytes and refuses a body over `limit` (the stream's own size limit, from the unit limit). */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) return done(new AppError('PAYLOAD_TOO_LARGE', `the upload exceeds ${limit} bytes`));
      done(null, chunk);
    },
  });
}

/** The header line: unique, storable names, one of them `serial`; the others are device parameters. */
function csvColumns(header: string[]): string[] {
  const seen = new Set<string>();
  for (const name of header) {
    if (!name || seen.has(name)) throw bad(1, `empty or repeated column name "${name}"`);
    try {
      assertStorableInput({ [name]: '' }, 'body');
    } catch (error) {
      throw error instanceof AppError ? bad(1, error.message) : error;
    }
    if (RESERVED.has(name)) throw bad(1, `reserved column name "${name}"`);
    seen.add(name);
  }
  if (!seen.has('serial')) throw bad(1, 'the header line must name a "serial" column');
  return header;
}

/**
 * Records of the body, parsed as a stream by csv-parse: CSV with a header line, or NDJSON read as
 * one-column records (a raw control character cannot occur in a JSON line, so \x01 never splits one).
 */
function parser(format: UploadFormat) {
  return format === 'csv'
    ? parse({
        columns: csvColumns,
        skip_empty_lines: true,
        trim: true,
        max_record_size: MAX_LINE_BYTES,
        info: true,
      })
    : parse({
        delimiter: '\x01',
        quote: false,
        relax_column_count: true,
        skip_empty_lines: true,
        max_record_size: MAX_LINE_BYTES,
        info: true,
      });
}

/**
 * A streamed upload, synchronous: parse, validate and insert in chunks in one transaction (a refusal
 * leaves nothing behind); then enqueue the devices inserted, page by page, from the database
 * (batch-store.ts, shared with the JSON body). Memory stays at one chunk whatever the size; duplicates
 * within the upload are found by the unique index (a serial that conflicts with this very batch is a
 * duplicate).
 */
export async function uploadBatch(
  ctx: HandlerContext,
  q: UploadBatchQuery,
  format: UploadFormat,
  body: Readable,
) {
  const { deps } = ctx;
  const maxUnits = deps.config.API_MAX_STREAM_UNITS;
  const device = uploadDeviceSchema(deps.config.API_SERIAL_PATTERN);
  const batchParameters = parseTemplateParameters(q.templateParameters);
  checkTemplate(deps.config.API_ALLOWED_TEMPLATES, q.templateName, batchParameters, []);
  const priority = q.priority ?? 0;

  const stored = await withRawTransaction(deps.prisma, async (sql) => {
    const batchId = await insertBatch(sql, ctx, { ...q, templateParameters: batchParameters, priority });
    const units = new BatchUnitWriter(sql, batchId, q.mode === 'device-csr', MAX_LISTED);
    let requested = 0;
    let chunk: Unit[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      checkTemplate(deps.config.API_ALLOWED_TEMPLATES, q.templateName, batchParameters, chunk);
      const inChunk = new Set<string>();
      const repeated = chunk.filter((d) => inChunk.size === inChunk.add(d.serial).size);
      if (repeated.length > 0) throw duplicatesError(repeated.map((d) => d.serial));
      const conflicts = await units.write(chunk);
      if (conflicts.repeated.length > 0) throw duplicatesError(conflicts.repeated);
      if (conflicts.existing.length > 0 && !q.skipExisting) {
        throw new AppError(
          'SERIALS_EXIST',
          `serial number(s) already exist; add skipExisting=true to skip them`,
          { serials: conflicts.existing.slice(0, MAX_LISTED) },
        );
      }
      chunk = [];
    };
    const records = parser(format);
    const consume = async (source: AsyncIterable<{ record: unknown; info: { lines: number } }>) => {
      for await (const { record, info } of source) {
        requested++;
        if (requested > maxUnits) {
          throw new AppError('BATCH_TOO_LARGE', `more than ${maxUnits} devices in one upload`, {
            limit: maxUnits,
          });
        }
        chunk.push(toDevice(format, record, info.lines, device));
        if (chunk.length >= UNIT_CHUNK) await flush();
      }
      await flush();
    };
    try {
      await pipeline(body, byteLimit(maxUnits * 512), records, consume);
    } catch (error) {
      if (error instanceof AppError) throw error;
      const { code, lines } = error as { code?: string; lines?: number };
      if (typeof code === 'string' && code.startsWith('CSV_')) throw bad(lines ?? 0, `${code}`);
      throw error;
    }
    if (requested === 0) throw new AppError('INVALID_UPLOAD', 'the upload lists no device');
    const { created, existingCount: skipped } = units;
    await appendAuditRaw(sql, callerOf(ctx), {
      action: 'batch.create',
      batchId,
      details: { externalRef: q.externalRef, requested, created, skipped, upload: format },
    });
    return {
      id: batchId,
      externalRef: q.externalRef,
      requested,
      created,
      skipped,
      skippedSerials: units.existingListed,
      enqueued: 0,
    };
  });
  stored.enqueued = await enqueueStoredUnits(ctx, stored.id, priority);
  return stored;
}

const duplicatesError = (serials: string[]) =>
  new AppError('DUPLICATE_SERIALS', `serial number(s) appear more than once in the upload`, {
    serials: serials.slice(0, MAX_LISTED),
  });

function parseTemplateParameters(text: string | undefined) {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'templateParameters must be a JSON object');
  }
  assertStorableInput(value, 'query');
  const result = templateParametersSchema.safeParse(value);
  if (!result.success)
    throw new AppError(
      'VALIDATION_FAILED',
      'templateParameters must be a JSON object of strings, numbers and booleans',
    );
  return result.data;
}

function toDevice(
  format: UploadFormat,
  record: unknown,
  line: number,
  schema: ReturnType<typeof uploadDeviceSchema>,
): Unit {
  let value: unknown;
  if (format === 'csv') {
    const { serial, ...rest } = record as Record<string, string>;
    value = Object.keys(rest).length > 0 ? { serial, parameters: rest } : { serial };
  } else {
    const fields = record as string[];
    if (fields.length !== 1) throw bad(line, 'not one JSON object');
    try {
      value = JSON.parse(fields[0]!);
    } catch {
      throw bad(line, 'not valid JSON');
    }
  }
  try {
    assertStorableInput(value, 'body');
  } catch (error) {
    throw error instanceof AppError ? bad(line, error.message) : error;
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw bad(line, `${issue.path.join('.') || 'device'}: ${issue.message}`);
  }
  return result.data;
}
