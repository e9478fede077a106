#!/usr/bin/env node
// claimline-reconcile: the reconcile report of every unit (or one batch) against AWS IoT; --fix applies
// the safe fixes through the maintenance queue.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig, reconcileCliSchema } from '@claimline/config';
import { openControlPlane } from '@claimline/aws-control-plane';
import { createPrismaClient } from '@claimline/db';
import { Queue } from 'bullmq';
import { createRedisConnection, QUEUES } from '@claimline/jobs';
import { applySafeFixes } from './fixes.js';
import { principalListingsInFlight, reconcile, type ReconcileReport } from './reconcile.js';
import { reportToCsv } from './report-format.js';

const USAGE = `usage: claimline-reconcile [--batch ID] [--fix] [--format json|csv] [--out FILE]
  Compares every unit (or the units of one batch) with AWS IoT through the control plane
  (CONTROL_PLANE=emulator|aws; its per-operation quotas apply) and reports each disagreement.
  --batch ID      only the units of this batch (a uuid)
  --format F      json (default: counts per finding kind and every finding) or csv (one row per finding)
  --fix           apply the safe fixes through the maintenance queue (the workers run them): revoke at
                  AWS what the database revoked, deactivate and delete orphans ACTIVE at AWS; the
                  report then has "fixes" (fixable, enqueued, and the findings left to an operator)
  --out FILE      write the report to FILE instead of stdout
  Progress goes to stderr. Without --fix nothing is changed.
exit codes: 0 no findings, 1 findings, 2 usage or error (no control plane, database, AWS, Redis)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Options = { batchId?: string; format: 'json' | 'csv'; out?: string; fix: boolean };

/** The options, or the reason they are not usable (exit 2). */
function parseOptions(argv: string[]): Options | { usage: string } {
  let values: { batch?: string; format?: string; out?: string; fix?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        batch: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        fix: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { usage: (error as Error).message };
  }
  if (values.help) return { usage: '' };
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') return { usage: `--format must be json or csv, not ${format}` };
  if (values.batch !== undefined && !UUID.test(values.batch))
    return { usage: `--batch must be a batch id (uuid), not ${values.batch}` };
  return {
    format,
    fix: values.fix ?? false,
    ...(values.batch ? { batchId: values.batch } : {}),
    ...(values.out ? { out: values.out } : {}),
  };
}

const summary = (report: ReconcileReport) =>
  Object.entries(report.counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind}=${count}`)
    .join(' ') || 'no findings';

/** The safe fixes through the maintenance queue (a producer connection of its own: fails fast). */
async function fix(
  config: { REDIS_URL: string; QUEUE_PREFIX: string },
  prisma: Parameters<typeof applySafeFixes>[0],
  report: ReconcileReport,
) {
  const connection = createRedisConnection(config.REDIS_URL, 'producer');
  const queue = new Queue(QUEUES.maintenance, { connection, prefix: config.QUEUE_PREFIX });
  try {
    return await applySafeFixes(prisma, queue, report);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if ('usage' in options) {
    if (options.usage) console.error(`claimline-reconcile: ${options.usage}`);
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig('claimline-reconcile', reconcileCliSchema);
  const redis = createRedisConnection(config.REDIS_URL, 'worker');
  const prisma = createPrismaClient(config.DATABASE_URL.reveal(), { maxConnections: 2 });
  try {
    const opened = await openControlPlane(config, redis);
    if (!opened.controlPlane) {
      console.error(`claimline-reconcile: no control plane (${opened.reason}); nothing to compare with`);
      return 2;
    }
    const controlPlane = opened.controlPlane;
    try {
      const started = Date.now();
      const found = await reconcile(prisma, controlPlane, {
        ...(options.batchId ? { batchId: options.batchId } : {}),
        concurrency: principalListingsInFlight(config.CONTROL_PLANE_QUOTA_LIST_THING_PRINCIPALS_PER_SECOND),
        onProgress: ({ units, findings }) =>
          console.error(
            `reconcile: ${units} units checked, ${findings} findings (${Math.round((Date.now() - started) / 1000)} s)`,
          ),
      });
      const fixes = options.fix ? await fix(config, prisma, found) : undefined;
      const report = fixes ? { ...found, fixes } : found;
      const text = options.format === 'csv' ? reportToCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (options.out) await writeFile(options.out, text);
      else
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(text, (e) => (e ? reject(e) : resolve())),
        );
      if (fixes)
        console.error(
          `reconcile --fix: ${fixes.enqueued} maintenance jobs enqueued for ${fixes.fixable} fixable findings`,
        );
      console.error(
        `reconcile: ${report.units} units, ${report.findings.length} findings (${summary(report)}); ${report.awsCalls.perUnit.toFixed(2)} AWS calls per unit`,
      );
      return report.findings.length === 0 ? 0 : 1;
    } finally {
      controlPlane.close();
    }
  } finally {
    await prisma.$disconnect();
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`claimline-reconcile: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
