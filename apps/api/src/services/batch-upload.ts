import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { randomUUID } from 'node:crypto';
import { rawSqlOf, withRawTransaction } from '@claimline/db';
import { appendAuditRaw, createDevicesRaw } from '@claimline/device-ledger';
import type { HandlerContext } from '../http/route.js';
import { AppError } from '../errors/app-error.js';
import { RESERVED_KEYS as RESERVED, assertStorableInput } from '../http/storable-input.js';
import { templateParametersSchema, uploadDeviceSchema, type UploadBatchQuery } from '../schemas/batch.js';
import { callerOf } from './audit.js';
import { enqueueOrFail } from './enqueue.js';
import { checkTemplate } from './templates.js';
import { keyAlgorithmToDb, modeToDb, payloadFormatToDb } from './wire-enums.js';

const CHUNK = 1_000;
/** Devices read back and enqueued at a time: the jobs package's addBulk chunk. */
const ENQUEUE_PAGE = 1_000;
const MAX_LISTED = 1_000;
const MAX_LINE_BYTES = 16_384;

export type UploadFormat = 'csv' | 'ndjson';
type Device = { serial: string; parameters?: Record<string, string | number | boolean> };

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
 * A streamed upload, synchronous: parse, validate and insert in chunks of 5,000 in one transaction
 * (a refusal leaves nothing behind); then enqueue the devices inserted, chunk by chunk, from the
 * database. Memory stays at one chunk whatever the size; duplicates within the upload are found by
 * the unique index (a serial that conflicts with this very batch is a duplicate).
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

  // One raw transaction (pg, not Prisma): a million rows through Prisma's raw queries leave garbage
  // that lifts the heap by hundreds of MB before it is collected (docs/benchmarks.md).
  const stored = await withRawTransaction(deps.prisma, async (sql) => {
    const batchId = randomUUID();
    await sql(
      `INSERT INTO batch (id, external_ref, template_name, template_parameters, payload_format, mode,
                          key_algorithm, priority, requested_by_key_id)
       VALUES ($1::uuid, $2, $3, $4::jsonb, $5::"PayloadFormat", $6::"ClaimMode", $7::"KeyAlgorithm", $8, $9::uuid)`,
      [
        batchId,
        q.externalRef,
        q.templateName,
        JSON.stringify(batchParameters ?? {}),
        payloadFormatToDb[q.payloadFormat],
        modeToDb[q.mode],
        keyAlgorithmToDb[q.keyAlgorithm ?? 'ec-p256'],
        priority,
        ctx.principal.keyId,
      ],
    );
    let requested = 0;
    let created = 0;
    const skipped: string[] = [];
    let skippedCount = 0;
    let chunk: Device[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      checkTemplate(deps.config.API_ALLOWED_TEMPLATES, q.templateName, batchParameters, chunk);
      const inChunk = new Set<string>();
      const repeated = chunk.filter((d) => inChunk.size === inChunk.add(d.serial).size);
      if (repeated.length > 0) throw duplicatesError(repeated.map((d) => d.serial));
      const inserted = await createDevicesRaw(sql, batchId, chunk, q.mode === 'device-csr');
      created += inserted.length;
      if (inserted.length < chunk.length) {
        const done = new Set(inserted.map((d) => d.serial));
        const rest = chunk.map((d) => d.serial).filter((s) => !done.has(s));
        const mine = await sql<{ serial: string }>(
          'SELECT serial FROM device WHERE batch_id = $1::uuid AND serial = ANY($2::text[])',
          [batchId, rest],
        );
        // Inserted by an earlier chunk of this upload: listed twice in it.
        if (mine.length > 0) throw duplicatesError(mine.map((d) => d.serial));
        if (!q.skipExisting) {
          throw new AppError(
            'SERIALS_EXIST',
            `serial number(s) already exist; add skipExisting=true to skip them`,
            { serials: rest.slice(0, MAX_LISTED) },
          );
        }
        skippedCount += rest.length;
        skipped.push(...rest.slice(0, Math.max(0, MAX_LISTED - skipped.length)));
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
        if (chunk.length >= CHUNK) await flush();
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
    await appendAuditRaw(sql, callerOf(ctx), {
      action: 'batch.create',
      batchId,
      details: { externalRef: q.externalRef, requested, created, skipped: skippedCount, upload: format },
    });
    return {
      id: batchId,
      externalRef: q.externalRef,
      requested,
      created,
      skipped: skippedCount,
      skippedSerials: skipped,
      enqueued: 0,
    };
  });
  stored.enqueued = await enqueueStored(ctx, stored.id, priority);
  return stored;
}

/**
 * Enqueues the batch's QUEUED devices page by page (keyset on id), pages of one enqueue chunk read
 * with pg: one page in memory at a time, whatever the batch's size.
 */
async function enqueueStored(ctx: HandlerContext, batchId: string, priority: number): Promise<number> {
  const sql = rawSqlOf(ctx.deps.prisma);
  let after = '00000000-0000-0000-0000-000000000000';
  let enqueued = 0;
  for (;;) {
    const rows = await sql<{ id: string; serial: string; provision_generation: number }>(
      `SELECT id::text AS id, serial, provision_generation FROM device
        WHERE batch_id = $1::uuid AND state = 'QUEUED' AND id > $2::uuid ORDER BY id LIMIT $3`,
      [batchId, after, ENQUEUE_PAGE],
    );
    if (rows.length === 0) return enqueued;
    enqueued += await enqueueOrFail(
      ctx.deps,
      rows.map((r) => ({ deviceId: r.id, serial: r.serial, generation: r.provision_generation })),
      priority,
      batchId,
    );
    after = rows[rows.length - 1]!.id;
  }
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
): Device {
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
