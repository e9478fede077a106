import type { Device, PrismaClient, RawSql } from '@claimline/db';
import { AppError } from '../errors/app-error.js';
import type { DeviceStateName } from '../schemas/common.js';

const AUDIT_TRAIL_LIMIT = 100;

const STATE_TIMES = [
  ['QUEUED', 'queuedAt'],
  ['CLAIMING', 'claimingAt'],
  ['CERT_ISSUED', 'certIssuedAt'],
  ['REGISTERED', 'registeredAt'],
  ['VERIFY_FAILED', 'verifyFailedAt'],
  ['DOWNLOADED', 'downloadedAt'],
  ['BURNED', 'burnedAt'],
  ['BURN_FAILED', 'burnFailedAt'],
  ['FAILED', 'failedAt'],
  ['CANCELLED', 'cancelledAt'],
] as const satisfies readonly (readonly [DeviceStateName, keyof Device])[];

/** The columns a device read shows: one indexed row, no parameters, no sealed or bulky column. */
const DEVICE_VIEW = [
  'id',
  'serial',
  'batchId',
  'state',
  'thingName',
  'attempts',
  'provisionGeneration',
  'lastErrorCode',
  'lastErrorMessage',
  'lastErrorRetryable',
] as const satisfies readonly (keyof Device)[];

type StateTime = (typeof STATE_TIMES)[number][1];

/** The view's row; the state times as the answer shows them (ISO 8601, UTC, milliseconds) or null. */
export type DeviceRow = Pick<Device, (typeof DEVICE_VIEW)[number]> &
  Record<StateTime, string | null> & { batch: { requestedByKeyId: string | null } };

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const cast: Partial<Record<string, string>> = { id: '::text', batchId: '::text', state: '::text' };
/**
 * A state time formatted by Postgres exactly as Date#toISOString would (the columns hold UTC, to the
 * millisecond): a read parses no Date and formats none.
 */
const isoTime = (column: string) => `to_char(d.${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One statement for the device reads asked for together (createDeviceViewReader): the device rows and
 * their batches' owners. Named, so each pool connection prepares it once.
 */
const DEVICE_VIEW_SQL = `SELECT ${DEVICE_VIEW.map((c) => `d.${snake(c)}${cast[c] ?? ''} AS "${c}"`).join(', ')},
       ${STATE_TIMES.map(([, c]) => `${isoTime(snake(c))} AS "${c}"`).join(', ')},
       b.requested_by_key_id::text AS "ownerKeyId"
  FROM device d JOIN batch b ON b.id = d.batch_id WHERE d.serial = ANY($1::text[])`;
const DEVICE_VIEW_STATEMENT = 'claimline-device-view';

type ViewRow = Omit<DeviceRow, 'batch'> & { ownerKeyId: string | null };
type Waiter = { resolve(row: DeviceRow): void; reject(error: unknown): void };

export type DeviceViewReader = {
  /** The device's view, or AppError DEVICE_NOT_FOUND. */
  find(serial: string): Promise<DeviceRow>;
};

/** How many serials one statement looks up at most (a burst larger than this takes several). */
export const DEVICE_VIEWS_PER_STATEMENT = 256;
/** Statements in flight at once; reads asked for meanwhile wait for the next one, together. */
export const DEVICE_VIEW_STATEMENTS_IN_FLIGHT = 2;

/**
 * Device reads, coalesced: the reads asked for while the reader's statements are in flight (or during one
 * turn of the event loop, when none is) go to Postgres together in one statement (`serial = ANY($1)`,
 * the same index). Under an MES polling many units at once, a read then costs a share of one query's
 * send and answer instead of a round trip of its own; a read alone waits for nothing but the end of its
 * turn. Nothing is cached: every read sees the database as of a statement sent after it was asked for.
 */
export function createDeviceViewReader(
  /** The app's pg pool (`rawSqlOf(prisma)`: Prisma's per-query cost was most of a read's CPU). */
  sql: RawSql,
  { perStatement = DEVICE_VIEWS_PER_STATEMENT, inFlight = DEVICE_VIEW_STATEMENTS_IN_FLIGHT } = {},
): DeviceViewReader {
  const waiting = new Map<string, Waiter[]>();
  let statements = 0;
  let scheduled = false;
  const lookUp = async (serials: string[], waiters: Map<string, Waiter[]>) => {
    try {
      const rows = await sql<ViewRow>(DEVICE_VIEW_SQL, [serials], DEVICE_VIEW_STATEMENT);
      const bySerial = new Map(rows.map((row) => [row.serial, row]));
      for (const serial of serials) {
        const row = bySerial.get(serial);
        for (const waiter of waiters.get(serial)!) {
          if (row) waiter.resolve({ ...row, batch: { requestedByKeyId: row.ownerKeyId } });
          else waiter.reject(new AppError('DEVICE_NOT_FOUND', `no device with serial ${serial}`));
        }
      }
    } catch (error) {
      for (const serial of serials) for (const waiter of waiters.get(serial)!) waiter.reject(error);
    }
  };
  const send = () => {
    scheduled = false;
    while (waiting.size > 0 && statements < inFlight) {
      const waiters = new Map<string, Waiter[]>();
      for (const [serial, list] of waiting) {
        if (waiters.size === perStatement) break;
        waiters.set(serial, list);
      }
      const serials = [...waiters.keys()];
      for (const serial of serials) waiting.delete(serial);
      statements++;
      void lookUp(serials, waiters).finally(() => {
        statements--;
        send();
      });
    }
  };
  return {
    find(serial) {
      return new Promise<DeviceRow>((resolve, reject) => {
        const same = waiting.get(serial);
        if (same) same.push({ resolve, reject });
        else waiting.set(serial, [{ resolve, reject }]);
        if (!scheduled && statements < inFlight) {
          scheduled = true;
          setImmediate(send);
        }
      });
    },
  };
}

export type DeviceInclude = { certificates: boolean; audit: boolean };

/** The device with its state history, from its own row alone (what a plain read answers). */
export function deviceBody(device: DeviceRow) {
  const history: { state: DeviceStateName; at: string }[] = [];
  for (const [state, key] of STATE_TIMES) {
    const at = device[key];
    if (at !== null) history.push({ state, at });
  }
  // Same-format ISO strings sort as their instants do; the sort is stable (equal times keep state order).
  history.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    id: device.id,
    serial: device.serial,
    batchId: device.batchId,
    state: device.state,
    thingName: device.thingName,
    attempts: device.attempts,
    generation: device.provisionGeneration,
    history,
    lastError: device.lastErrorCode
      ? { code: device.lastErrorCode, message: device.lastErrorMessage, retryable: device.lastErrorRetryable }
      : null,
  };
}

/**
 * deviceBody with, as `include` asks, the device's certificates (identifiers and status only: the select
 * never names a key column) and its audit trail.
 */
export async function deviceDetail(prisma: PrismaClient, device: DeviceRow, include: DeviceInclude) {
  const [certificates, events] = await Promise.all([
    include.certificates
      ? prisma.certificate.findMany({
          where: { deviceId: device.id },
          select: { certificateId: true, status: true, createdAt: true, activatedAt: true, revokedAt: true },
          orderBy: { createdAt: 'asc' },
        })
      : undefined,
    include.audit
      ? prisma.auditEvent.findMany({
          where: { deviceId: device.id },
          select: { at: true, actor: true, action: true, origin: true },
          orderBy: { at: 'desc' },
          take: AUDIT_TRAIL_LIMIT,
        })
      : undefined,
  ]);
  return {
    ...deviceBody(device),
    ...(certificates && {
      certificates: certificates.map((c) => ({
        certificateId: c.certificateId,
        status: c.status,
        createdAt: c.createdAt.toISOString(),
        activatedAt: c.activatedAt?.toISOString() ?? null,
        revokedAt: c.revokedAt?.toISOString() ?? null,
      })),
    }),
    ...(events && {
      audit: events.map((e) => ({
        at: e.at.toISOString(),
        actor: e.actor,
        action: e.action,
        origin: e.origin,
      })),
    }),
  };
}
