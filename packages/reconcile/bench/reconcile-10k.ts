import { createTestDatabase } from '@claimline/db/testing';
import { reconcile } from '../src/index.js';
import { newCertificateId, startSeededEmulator } from '../src/testing.js';

/**
 * Reconcile over 10,000 registered units against the emulator's control plane: rows and the emulated
 * registry are seeded directly (no provisioning). Measures AWS calls per unit (target ≤ 1.2) and units
 * per second. No control-plane quota paces these calls yet (the quota'd client is on wip/aws-cp), so
 * the throughput is the emulator's, not a fraction of a quota.
 */
const UNITS = Number(process.env.BENCH_RECONCILE_UNITS ?? 10_000);
const json = process.argv.includes('--json');
const log = (text: string) => process.stderr.write(`${text}\n`);

async function main() {
  const db = await createTestDatabase();
  try {
    const batch = await db.prisma.batch.create({ data: { externalRef: 'WO-BENCH', templateName: 't' } });
    const units = Array.from({ length: UNITS }, (_, i) => ({
      serial: `RB${String(i).padStart(6, '0')}`,
      certificateId: newCertificateId(),
    }));
    for (let i = 0; i < units.length; i += 1_000) {
      const chunk = units.slice(i, i + 1_000);
      // Bench set-up only: rows as the worker leaves a registered unit, written directly.
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
    const account = await startSeededEmulator(
      units.map((u) => ({ thingName: `unit-${u.serial}`, certificateIds: [u.certificateId] })),
      units.map((u) => ({ certificateId: u.certificateId, status: 'ACTIVE' as const })),
    );
    try {
      log(`seeded ${UNITS} units; reconciling`);
      const started = performance.now();
      const report = await reconcile(db.prisma, account.aws, { concurrency: 16 });
      const seconds = (performance.now() - started) / 1000;
      const findings = report.findings.length;
      log(
        `reconcile: ${report.units} units in ${seconds.toFixed(1)} s (${(report.units / seconds).toFixed(0)} units/s), ` +
          `${account.aws.calls} AWS calls (${report.awsCalls.perUnit.toFixed(3)} per unit), ${findings} findings`,
      );
      const results = [
        {
          name: 'reconcile AWS calls per unit (10k units)',
          value: Number(report.awsCalls.perUnit.toFixed(4)),
          unit: 'calls/unit',
          baseline: null,
          ratio: null,
          target: '≤ 1.2',
          pass: report.awsCalls.perUnit <= 1.2 && findings === 0,
        },
        {
          name: 'reconcile throughput, unpaced (10k units)',
          value: Number((report.units / seconds).toFixed(1)),
          unit: 'units/s',
          baseline: null,
          ratio: null,
          target: null,
          pass: null,
        },
      ];
      if (json) console.log(JSON.stringify({ bench: '@claimline/reconcile', results }));
    } finally {
      await account.close();
    }
  } finally {
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
