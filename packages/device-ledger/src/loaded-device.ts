import { Prisma, type Batch, type Certificate, type Device } from '@claimline/db';

/**
 * A device with its batch and certificates from one row set (`row_number` of a certificate, or none),
 * as Prisma's `include: { batch: true, certificates: true }` returns it, so that an attempt can take
 * the device and load it in ONE statement. Columns are named from Prisma's own field lists (a new
 * column is picked up by itself; the schema maps every field to its snake_case name), and a test
 * checks the result against Prisma's.
 */

export type DeviceWithBatch = Device & { batch: Batch; certificates: Certificate[] };

const snake = (field: string) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function columns(alias: string, prefix: string, fields: Record<string, string>): string[] {
  return Object.keys(fields).map((field) => `${alias}.${snake(field)} AS "${prefix}${field}"`);
}

const DEVICE_FIELDS = Object.keys(Prisma.DeviceScalarFieldEnum);
const BATCH_FIELDS = Object.keys(Prisma.BatchScalarFieldEnum);
const CERTIFICATE_FIELDS = Object.keys(Prisma.CertificateScalarFieldEnum);

/** The select list over `d` (device), `b` (batch) and `c` (certificate, left-joined). */
export const LOADED_DEVICE_COLUMNS = [
  ...columns('d', 'd.', Prisma.DeviceScalarFieldEnum),
  ...columns('b', 'b.', Prisma.BatchScalarFieldEnum),
  ...columns('c', 'c.', Prisma.CertificateScalarFieldEnum),
].join(', ');

type Row = Record<string, unknown>;

function pick<T>(row: Row, prefix: string, fields: string[]): T {
  const picked: Row = {};
  for (const field of fields) picked[field] = row[`${prefix}${field}`];
  return picked as T;
}

/** Rows of LOADED_DEVICE_COLUMNS (one per certificate, or one with a null certificate) → the device. */
export function loadedDevice(rows: Row[]): DeviceWithBatch | null {
  const first = rows[0];
  if (!first) return null;
  const certificates = rows
    .filter((row) => row['c.id'] !== null)
    .map((row) => pick<Certificate>(row, 'c.', CERTIFICATE_FIELDS));
  return {
    ...pick<Device>(first, 'd.', DEVICE_FIELDS),
    batch: pick<Batch>(first, 'b.', BATCH_FIELDS),
    certificates,
  };
}
