import { CHAOS_WORKER_ENV } from './support/chaos-settings';
import { readDatabase, registryViolations, summarize } from './support/checks';
import { controlPlaneViolations } from './support/control-plane-checks';
import {
  call,
  emulatorRegistry,
  sleep,
  startSystem,
  waitFor,
  waitForBatches,
  type BatchView,
  type System,
} from './support/system';

/**
 * Issue 12's second chaos scenario: a 60-second ownership-token life, at the emulator
 * (`--token-ttl-seconds 60`) as at the workers, so orphans must occur: a flow that resumes after a
 * 429, a dropped answer, the kill -9, Redis or PostgreSQL trouble finds its saved certificate's token
 * too short-lived to use and orphans it. Smaller than the first scenario (300 units) to keep the
 * suite's time; the same faults: 20% dropped RegisterThing answers and 429s (seeded), a worker kill -9
 * timed inside RegisterThing (each waits 300 ms at the emulator before it is applied), a Redis restart,
 * every PostgreSQL connection terminated.
 *
 * Asserted through the emulator's control plane (SigV4, support/control-plane-checks.ts): every thing
 * has exactly one ACTIVE certificate and it is the database's; every ORPHANED or REVOKED certificate is
 * inactive or gone (the maintenance queue deletes orphans); no ORPHANED or REVOKED certificate keeps
 * key material. And the orphans are cleaned at the emulator: every one settled and gone.
 */

jest.setTimeout(300_000);

const UNITS = 300;
const FAULTS = {
  seed: 20261130,
  throttleRate: 0.2,
  // RegisterThing waits 300 ms at the emulator before it is applied: the kill -9 lands while the
  // killed worker's RegisterThing requests are in flight, and the emulator applies them after it died.
  operations: { RegisterThing: { dropRate: 0.2, delayMs: 300 } },
};
const PROVISIONING_TIMEOUT_MS = 200_000;

let system: System;
const runId = Date.now().toString(36).toUpperCase();
const timeline: string[] = [];
const started = Date.now();
const note = (what: string) =>
  timeline.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${what}`);

beforeAll(async () => {
  system = await startSystem({
    label: 'chaos-orphans',
    workers: 3,
    emulator: { keyAlgorithm: 'ec-p256', quotas: 'defaults', tokenTtlSeconds: 60 },
    workerEnv: {
      ...CHAOS_WORKER_ENV,
      WORKER_TOKEN_TTL_SECONDS: '60',
      // The orphans' clean-up at the emulator starts within a second of their orphaning.
      WORKER_MAINTENANCE_SCAN_INTERVAL_MS: '1000',
    },
  });
  note('system up: redis, emulator (60 s tokens), api, 3 workers');
});

afterAll(async () => {
  await system?.close();
  console.log(`chaos (60 s tokens) timeline:\n${timeline.join('\n')}`);
});

it('60-second tokens: orphans occur and are cleaned at the emulator; AWS and the database agree', async () => {
  const mesKey = await system.createKey('e2e-chaos-orphans-mes', 'MES');
  await call('POST', `${system.emulatorAdminUrl}/faults`, 200, { body: FAULTS });
  const serials = Array.from({ length: UNITS }, (_, i) => `ORPH-${runId}-${String(i).padStart(4, '0')}`);
  const created = await call<{ id: string; created: number }>('POST', `${system.apiUrl}/v1/batches`, 202, {
    key: mesKey,
    body: {
      externalRef: `WO-ORPH-${runId}`,
      templateName: 'claimline-default',
      devices: serials.map((serial) => ({ serial })),
      payloadFormat: 'json',
      mode: 'create-keys',
    },
  });
  const batchId = created.id;
  note(`batch ${batchId} posted (${UNITS} units), faults on`);

  let registered = 0;
  const reach = (units: number, what: string) =>
    waitFor(
      `${units} units REGISTERED before "${what}"`,
      async () => {
        const view = await call<BatchView>('GET', `${system.apiUrl}/v1/batches/${batchId}`, 200, {
          key: mesKey,
          timeoutMs: 5_000,
        }).catch(() => undefined);
        if (view) registered = view.progress.counts.REGISTERED ?? 0;
        return registered >= units;
      },
      {
        timeoutMs: PROVISIONING_TIMEOUT_MS - (Date.now() - started),
        intervalMs: 500,
        detail: () => system.diagnostics(),
      },
    );

  await reach(40, 'kill -9 a worker');
  const victim = system.workers[0]!;
  await victim.stop('SIGKILL');
  const inFlight = await system.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM certificate c JOIN device d ON d.id = c.device_id
      WHERE d.batch_id = $1 AND c.status = 'REGISTERING'`,
    [batchId],
  );
  note(
    `worker ${victim.name} killed -9 at ${registered} registered, ${inFlight[0]!.n} certificates REGISTERING (RegisterThing in flight)`,
  );
  await sleep(1_000);
  system.startWorker();

  await reach(100, 'restart Redis');
  await system.restartRedis(2_000);
  note(`Redis restarted at ${registered} registered`);

  await reach(160, 'terminate PostgreSQL connections');
  const dbName = new URL(system.db.url).pathname.slice(1);
  await system.db.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [dbName],
  );
  note(`PostgreSQL connections terminated at ${registered} registered`);

  await reach(240, 'switch the faults off');
  await call('POST', `${system.emulatorAdminUrl}/faults`, 200, { body: {} });
  note(`faults off at ${registered} registered`);

  await waitForBatches(system, mesKey, [batchId], PROVISIONING_TIMEOUT_MS - (Date.now() - started));
  note('batch finished');

  // Orphans must occur, and every one be settled at AWS (the maintenance queue's scan and jobs).
  const orphans = await waitFor(
    'every orphan cleaned at the emulator',
    async () => {
      const rows = await system.db.query<{ orphaned: string; unsettled: string }>(
        `SELECT count(*) AS orphaned, count(*) FILTER (WHERE c.aws_settled_at IS NULL) AS unsettled
           FROM certificate c JOIN device d ON d.id = c.device_id
          WHERE d.batch_id = $1 AND c.status = 'ORPHANED'`,
        [batchId],
      );
      const { orphaned, unsettled } = rows[0]!;
      return Number(orphaned) > 0 && Number(unsettled) === 0 ? Number(orphaned) : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1_000, detail: () => system.diagnostics() },
  );
  note(`${orphans} orphans, all settled at AWS`);

  const snapshot = await readDatabase(system, [batchId]);
  expect(snapshot.devices).toHaveLength(UNITS);
  expect(summarize(await registryViolations(system, snapshot, ['REGISTERED']))).toBe('no problems');
  expect(summarize(await controlPlaneViolations(system, snapshot))).toBe('no problems');
  // Cleaned, not just deactivated: an orphan's certificate no longer exists at the emulator.
  const { certificates } = await emulatorRegistry(system);
  const left = snapshot.certificates.filter(
    (c) => c.status === 'ORPHANED' && certificates.has(c.certificate_id),
  );
  expect(left.map((c) => `${c.certificate_id} ${certificates.get(c.certificate_id)?.status}`)).toEqual([]);
});
