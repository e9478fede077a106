import { Queue } from 'bullmq';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createRedisConnection, maintenanceJobId, QUEUES } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import {
  applySafeFixes,
  principalListingsInFlight,
  reconcile,
  reportToCsv,
  FINDING_KINDS,
  SAFE_FIXES,
  type ReconcileAws,
  type ReconcileReport,
} from '../src/index.js';
import {
  newCertificateId,
  startSeededEmulator,
  type SeedCertificate,
  type SeedThing,
} from '../src/testing.js';

/**
 * One unit per finding kind, plus a healthy one, in a real database and a seeded emulator; the report
 * must name each (and nothing on the healthy unit) and count them. Without --fix nothing is enqueued;
 * with it, exactly the safe fixes become maintenance jobs (revoke, orphan clean-up) and every other
 * kind is left to an operator.
 */
let db: TestDatabase;
let account: Awaited<ReturnType<typeof startSeededEmulator>>;
let report: ReconcileReport;
let calls: number;
const ids = Object.fromEntries(
  [
    'ok',
    'gone',
    'inactive',
    'detached',
    'extra',
    'extraOld',
    'revoked',
    'revoking',
    'orphan',
    'registering',
  ].map((k) => [k, newCertificateId()]),
) as Record<string, string>;

type UnitSeed = { serial: string; thing: boolean; certificates: { id: string; status: string }[] };
const UNITS: UnitSeed[] = [
  { serial: 'OK-1', thing: true, certificates: [{ id: ids.ok!, status: 'ACTIVE' }] },
  { serial: 'GONE-1', thing: true, certificates: [{ id: ids.gone!, status: 'ACTIVE' }] },
  { serial: 'INACTIVE-1', thing: true, certificates: [{ id: ids.inactive!, status: 'ACTIVE' }] },
  { serial: 'DETACHED-1', thing: true, certificates: [{ id: ids.detached!, status: 'ACTIVE' }] },
  { serial: 'EXTRA-1', thing: true, certificates: [{ id: ids.extra!, status: 'ACTIVE' }] },
  { serial: 'REVOKED-1', thing: false, certificates: [{ id: ids.revoked!, status: 'REVOKED' }] },
  { serial: 'REVOKING-1', thing: false, certificates: [{ id: ids.revoking!, status: 'REVOKING' }] },
  { serial: 'ORPHAN-1', thing: false, certificates: [{ id: ids.orphan!, status: 'ORPHANED' }] },
  { serial: 'REG-1', thing: false, certificates: [{ id: ids.registering!, status: 'REGISTERING' }] },
];

beforeAll(async () => {
  db = await createTestDatabase();
  const batch = await db.prisma.batch.create({ data: { externalRef: 'WO-R', templateName: 't' } });
  for (const unit of UNITS) {
    // Test set-up only: rows as the worker would have left them, written directly.
    await db.prisma.device.create({
      data: {
        serial: unit.serial,
        batchId: batch.id,
        state: unit.thing ? 'REGISTERED' : 'FAILED',
        thingName: unit.thing ? `unit-${unit.serial}` : null,
        certificates: {
          create: unit.certificates.map((c) => ({
            certificateId: c.id,
            certificatePem: 'pem',
            status: c.status as 'ACTIVE',
          })),
        },
      },
    });
  }
  // The thing of GONE-1 does not exist at AWS; the rest do.
  const things: SeedThing[] = [
    { thingName: 'unit-OK-1', certificateIds: [ids.ok!] },
    { thingName: 'unit-INACTIVE-1', certificateIds: [ids.inactive!] },
    { thingName: 'unit-DETACHED-1', certificateIds: [] },
    { thingName: 'unit-EXTRA-1', certificateIds: [ids.extra!, ids.extraOld!] },
  ];
  const certificates: SeedCertificate[] = [
    { certificateId: ids.ok!, status: 'ACTIVE' },
    { certificateId: ids.gone!, status: 'ACTIVE' },
    { certificateId: ids.inactive!, status: 'INACTIVE' },
    { certificateId: ids.detached!, status: 'ACTIVE' },
    { certificateId: ids.extra!, status: 'ACTIVE' },
    { certificateId: ids.extraOld!, status: 'ACTIVE' },
    { certificateId: ids.revoked!, status: 'ACTIVE' },
    { certificateId: ids.revoking!, status: 'ACTIVE' },
    { certificateId: ids.orphan!, status: 'ACTIVE' },
    { certificateId: ids.registering!, status: 'ACTIVE' },
  ];
  account = await startSeededEmulator(things, certificates);
  report = await reconcile(db.prisma, account.aws);
  calls = account.aws.calls;
});

afterAll(async () => {
  await account?.close();
  await db?.drop();
});

it('names each disagreement once, on its unit and certificate, and nothing on the healthy unit', () => {
  const found = report.findings.map((f) => [f.kind, f.serial, f.certificateId, f.awsStatus]);
  expect(found).toEqual(
    expect.arrayContaining([
      ['THING_MISSING', 'GONE-1', ids.gone, 'ACTIVE'],
      ['ACTIVE_NOT_ACTIVE_AT_AWS', 'INACTIVE-1', ids.inactive, 'INACTIVE'],
      ['ACTIVE_NOT_ATTACHED', 'DETACHED-1', ids.detached, 'ACTIVE'],
      ['EXTRA_ACTIVE_PRINCIPAL', 'EXTRA-1', ids.extraOld, 'ACTIVE'],
      ['REVOKED_NOT_REVOKED_AT_AWS', 'REVOKED-1', ids.revoked, 'ACTIVE'],
      ['ORPHAN_ACTIVE_AT_AWS', 'ORPHAN-1', ids.orphan, 'ACTIVE'],
      ['REVOKE_UNCONFIRMED', 'REVOKING-1', ids.revoking, 'ACTIVE'],
      ['REGISTERING_UNRESOLVED', 'REG-1', ids.registering, 'ACTIVE'],
    ]),
  );
  expect(found).toHaveLength(8);
  expect(report.findings.filter((f) => f.serial === 'OK-1')).toEqual([]);
  expect(Object.keys(report.counts)).toEqual([...FINDING_KINDS]);
  for (const kind of FINDING_KINDS) expect(report.counts[kind]).toBe(1);
  expect(report.units).toBe(UNITS.length);
});

it('asks AWS one certificate listing plus one principal listing per thing', () => {
  expect(report.awsCalls).toEqual({ listCertificates: 1, listThingPrincipals: 5, perUnit: 6 / UNITS.length });
  expect(calls).toBe(6);
});

it('lists principals while the certificate listing is under way (it holds no principal listing up)', async () => {
  // The certificate listing answers only once a principal listing has started. A reconcile that waited
  // for every certificate page first would wait forever: the timer only turns that into a failure.
  let principalListingStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (principalListingStarted = resolve));
  let giveUp: NodeJS.Timeout | undefined;
  const neverStarted = new Promise<never>((_, reject) => {
    giveUp = setTimeout(
      () => reject(new Error('no principal listing started before the certificates')),
      10_000,
    );
  });
  const overlapping: ReconcileAws = {
    listCertificates: async (page) => {
      await Promise.race([started, neverStarted]);
      return account.aws.listCertificates(page);
    },
    listThingPrincipals: (thingName) => {
      principalListingStarted();
      return account.aws.listThingPrincipals(thingName);
    },
  };
  try {
    const again = await reconcile(db.prisma, overlapping);
    expect(again.findings).toEqual(report.findings);
    expect(again.awsCalls).toEqual(report.awsCalls);
  } finally {
    clearTimeout(giveUp);
  }
});

it('keeps enough principal listings in flight for the quota: 16 up to 64/s, then a quarter second of it', () => {
  expect([0, 10, 64, 100, 400, 1000].map(principalListingsInFlight)).toEqual([16, 16, 16, 25, 100, 100]);
});

it('writes the findings as CSV with a header, one row each', () => {
  const lines = reportToCsv(report).trimEnd().split('\r\n');
  expect(lines[0]).toBe('kind,serial,thingName,certificateId,databaseStatus,awsStatus');
  expect(lines).toHaveLength(9);
  expect(lines).toContain(`ORPHAN_ACTIVE_AT_AWS,ORPHAN-1,,${ids.orphan},ORPHANED,ACTIVE`);
});

describe('--fix', () => {
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  const queue = new Queue(QUEUES.maintenance, { connection, prefix: uniqueQueuePrefix('reconcile-fix') });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });
  const rowIdOf = async (certificateId: string) =>
    (await db.prisma.certificate.findUniqueOrThrow({ where: { certificateId } })).id;

  it('without it, the report changes nothing: no maintenance job', async () => {
    expect(await queue.count()).toBe(0);
  });

  it.each(FINDING_KINDS.map((kind) => [kind, SAFE_FIXES[kind] ?? 'left to an operator'] as const))(
    '%s: %s',
    async (kind, fix) => {
      const finding = report.findings.find((f) => f.kind === kind)!;
      const summary = await applySafeFixes(db.prisma, queue, { findings: [finding] });
      if (fix === 'left to an operator') {
        expect(summary).toMatchObject({ fixable: 0, enqueued: 0 });
        expect(summary.manual[kind]).toBe(1);
        return;
      }
      expect(summary).toMatchObject({ fixable: 1, enqueued: 1 });
      const job = await queue.getJob(maintenanceJobId(fix, await rowIdOf(finding.certificateId!)));
      expect(job?.name).toBe(fix);
      // Enqueued again while it waits: the same job, not a second one.
      expect((await applySafeFixes(db.prisma, queue, { findings: [finding] })).enqueued).toBe(0);
    },
  );

  it('the whole report: three safe fixes, five findings left to an operator', async () => {
    const summary = await applySafeFixes(db.prisma, queue, report);
    expect(summary.fixable).toBe(3);
    expect(Object.values(summary.manual).reduce((a, b) => a + b, 0)).toBe(5);
    expect(await queue.count()).toBe(3);
  });
});
