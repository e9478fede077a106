import { openControlPlane } from '@claimline/aws-control-plane';
import { controlPlaneSchema, loadConfig } from '@claimline/config';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { principalListingsInFlight, reconcile } from '../src/index.js';
import { newCertificateId, startSeededEmulator } from '../src/testing.js';

/**
 * Reconcile over 10,000 registered units against the emulator's control plane, through the control-plane
 * client production uses (`openControlPlane`: real @aws-sdk/client-iot, per-operation quotas in the test
 * Redis under a prefix of its own). Rows and the emulated registry are seeded directly (no provisioning).
 * Measures AWS calls per unit (target ≤ 1.2), units per second as a share of the ListThingPrincipals
 * quota (target ≥ 0.90), and the busiest second of ListThingPrincipals arrivals at the emulator (must
 * not exceed the quota).
 *
 * Quotas: AWS's default is 10/s for ListThingPrincipals (Service Quotas L-FC3EF4D9), at which 10,000
 * units take ~19 minutes (the guard included); 100/s (a quota increase) keeps a run near 2 minutes.
 * ListCertificates keeps claimline's default of 10/s: its 40 pages must not hold the principal
 * listings up. Options: BENCH_RECONCILE_UNITS, BENCH_RECONCILE_QUOTA, BENCH_RECONCILE_GUARD_MS.
 */
const UNITS = Number(process.env.BENCH_RECONCILE_UNITS ?? 10_000);
const LIST_THING_PRINCIPALS_PER_SECOND = Number(process.env.BENCH_RECONCILE_QUOTA ?? 100);
const LIST_CERTIFICATES_PER_SECOND = 10;
/** Unset: the setting's default (CONTROL_PLANE_QUOTA_GUARD_MS), as production runs. */
const GUARD_MS = process.env.BENCH_RECONCILE_GUARD_MS;
const json = process.argv.includes('--json');
const log = (text: string) => process.stderr.write(`${text}\n`);

type Unit = { serial: string; certificateId: string };

/** Bench set-up only: rows as the worker leaves a registered unit, written directly. */
async function seedRows(db: TestDatabase, units: Unit[]) {
  const batch = await db.prisma.batch.create({ data: { externalRef: 'WO-BENCH', templateName: 't' } });
  for (let i = 0; i < units.length; i += 1_000) {
    const chunk = units.slice(i, i + 1_000);
    await db.prisma.device.createMany({
      data: chunk.map((u) => ({
        serial: u.serial,
        batchId: batch.id,
        state: 'REGISTERED' as const,
        thingName: `unit-${u.serial}`,
      })),
    });
    const ids = await db.prisma.device.findMany({
      where: { serial: { in: chunk.map((u) => u.serial) } },
      select: { id: true, serial: true },
    });
    const idOf = new Map(ids.map((d) => [d.serial, d.id]));
    await db.prisma.certificate.createMany({
      data: chunk.map((u) => ({
        certificateId: u.certificateId,
        deviceId: idOf.get(u.serial)!,
        certificatePem: 'pem',
        status: 'ACTIVE' as const,
      })),
    });
  }
}

/**
 * The most arrivals in one clock second (as AWS counts), and in any 1000 ms wherever it starts (and how
 * far into the run that window starts, ms).
 */
function busiestSecond(arrivals: number[]): {
  clockSecond: number;
  anyWindow: number;
  anyWindowAtMs: number;
} {
  const perSecond = new Map<number, number>();
  for (const at of arrivals) {
    const second = Math.floor(at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const sorted = [...arrivals].sort((a, b) => a - b);
  let anyWindow = 0;
  let anyWindowAtMs = 0;
  for (let end = 0, start = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= 1000) start += 1;
    if (end - start + 1 > anyWindow) {
      anyWindow = end - start + 1;
      anyWindowAtMs = sorted[start]! - sorted[0]!;
    }
  }
  return { clockSecond: Math.max(0, ...perSecond.values()), anyWindow, anyWindowAtMs };
}

async function main() {
  const db = await createTestDatabase();
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  try {
    const units: Unit[] = Array.from({ length: UNITS }, (_, i) => ({
      serial: `RB${String(i).padStart(6, '0')}`,
      certificateId: newCertificateId(),
    }));
    await seedRows(db, units);
    const account = await startSeededEmulator(
      units.map((u) => ({ thingName: `unit-${u.serial}`, certificateIds: [u.certificateId] })),
      units.map((u) => ({ certificateId: u.certificateId, status: 'ACTIVE' as const })),
    );
    const config = loadConfig('reconcile-bench', controlPlaneSchema, {
      CONTROL_PLANE: 'emulator',
      CONTROL_PLANE_CLIENT_FILE: account.emulator.files.controlPlanePath,
      CONTROL_PLANE_QUOTA_LIST_THING_PRINCIPALS_PER_SECOND: String(LIST_THING_PRINCIPALS_PER_SECOND),
      CONTROL_PLANE_QUOTA_LIST_CERTIFICATES_PER_SECOND: String(LIST_CERTIFICATES_PER_SECOND),
      ...(GUARD_MS ? { CONTROL_PLANE_QUOTA_GUARD_MS: GUARD_MS } : {}),
    });
    const opened = await openControlPlane(
      { ...config, QUEUE_PREFIX: uniqueQueuePrefix('reconcile-bench') },
      redis,
    );
    if (!opened.controlPlane) throw new Error(`no control plane: ${opened.reason}`);
    const controlPlane = opened.controlPlane;
    try {
      const quota = LIST_THING_PRINCIPALS_PER_SECOND;
      const guardMs = config.CONTROL_PLANE_QUOTA_GUARD_MS;
      const ceiling = (quota * 1000) / (1000 + guardMs);
      log(`seeded ${UNITS} units; reconciling at ${quota} ListThingPrincipals/s, guard ${guardMs} ms`);
      const started = performance.now();
      const report = await reconcile(db.prisma, controlPlane, {
        // As claimline-reconcile runs it.
        concurrency: principalListingsInFlight(config.CONTROL_PLANE_QUOTA_LIST_THING_PRINCIPALS_PER_SECOND),
      });
      const seconds = (performance.now() - started) / 1000;
      const arrivals = account.emulator.registry.arrivals();
      const principalArrivals = arrivals.ListThingPrincipals ?? [];
      const callsAtEmulator = principalArrivals.length + (arrivals.ListCertificates?.length ?? 0);
      const findings = report.findings.length;
      const unitsPerSecond = report.units / seconds;
      const share = unitsPerSecond / quota;
      const busiest = busiestSecond(principalArrivals);
      log(
        `reconcile: ${report.units} units in ${seconds.toFixed(1)} s (${unitsPerSecond.toFixed(1)} units/s, ` +
          `${share.toFixed(3)} of the quota, ${(unitsPerSecond / ceiling).toFixed(3)} of the guard window's ` +
          `ceiling ${ceiling.toFixed(1)}/s); ${callsAtEmulator} AWS calls at the emulator ` +
          `(${report.awsCalls.perUnit.toFixed(3)} per unit); busiest ListThingPrincipals second ` +
          `${busiest.clockSecond} (any 1000 ms: ${busiest.anyWindow}, ${busiest.anyWindowAtMs} ms into the run); ${findings} findings`,
      );
      const setting = `${quota}/s, guard ${guardMs} ms`;
      const results = [
        {
          name: 'reconcile AWS calls per unit (10k units)',
          value: Number(report.awsCalls.perUnit.toFixed(4)),
          unit: 'calls/unit',
          baseline: null,
          ratio: null,
          target: '≤ 1.2',
          pass:
            report.awsCalls.perUnit <= 1.2 &&
            findings === 0 &&
            callsAtEmulator === report.awsCalls.listCertificates + report.awsCalls.listThingPrincipals,
        },
        {
          name: `reconcile throughput (10k units, ${setting})`,
          value: Number(unitsPerSecond.toFixed(1)),
          unit: 'units/s',
          baseline: null,
          ratio: null,
          target: null,
          pass: null,
        },
        {
          name: `reconcile throughput ÷ ListThingPrincipals quota (${setting})`,
          value: Number(share.toFixed(3)),
          unit: 'share',
          baseline: null,
          ratio: null,
          target: '≥ 0.90',
          pass: share >= 0.9,
        },
        {
          name: `reconcile busiest second of ListThingPrincipals arrivals (${setting})`,
          value: busiest.clockSecond,
          unit: 'calls',
          baseline: null,
          ratio: null,
          target: `≤ ${quota}`,
          pass: busiest.clockSecond <= quota,
        },
        {
          // Stricter than AWS's per-second count: the run's start (cold connections) shows here first.
          name: `reconcile busiest 1000 ms of ListThingPrincipals arrivals, any start (${setting})`,
          value: busiest.anyWindow,
          unit: 'calls',
          baseline: null,
          ratio: null,
          target: null,
          pass: null,
        },
      ];
      if (json) console.log(JSON.stringify({ bench: '@claimline/reconcile', results }));
    } finally {
      controlPlane.close();
      await account.close();
    }
  } finally {
    redis.disconnect();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
