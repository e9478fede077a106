/**
 * Worker benchmark (issue #4), three figures, each beside a baseline from the same run:
 *  1. devices/s through the whole pipeline (real worker process: Postgres, vault, BullMQ, claim pool)
 *     against a bare SDK loop on the same number of connections, same emulator (EC keys, create-keys,
 *     JSON, quotas off);
 *  2. quota adherence: 3 worker processes at 10/s, RegisterThing/s achieved over the steady seconds,
 *     and the busiest second of the emulator's own counters;
 *  3. peak RSS of one worker at concurrency 32, against the same worker idle.
 * The emulator runs in a process of its own. Run: pnpm --filter @claimline/worker bench [--json]
 * Options: --connections K (8), --devices N (600), --quota-devices N (150), --phases throughput,quota,memory.
 */
import { IN_FLIGHT } from '@claimline/device-ledger';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '@claimline/db';
import { createTestDatabase, prepareTemplateDatabase, type TestDatabase } from '@claimline/db/testing';
import { createRedisConnection, enqueueProvisioning, QUEUES } from '@claimline/jobs';
import { testRedisUrl } from '@claimline/jobs/testing';
import { ensureLocalKeyFile } from '@claimline/vault';
import {
  rssBytes,
  runBareLoopChild,
  sleep,
  startEmulatorChild,
  startWorkerChild,
  type EmulatorChild,
  type WorkerChild,
} from './processes.js';
import { machineCpuMs, processCpuMs, type BenchResult } from '@claimline/test-kit';

const TEMPLATE = 'claimline-default'; // bundled with the emulator; SerialNumber is its only required parameter
const QUOTA = 10;
const MEMORY_CONCURRENCY = 32;
/** Flows (bare loop) and devices (pipeline) run before either is measured. */
const WARMUP_DEVICES = 200;
const MB = 2 ** 20;

type Result = BenchResult;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

function optionText(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

type Bench = {
  emulator: EmulatorChild;
  db: TestDatabase;
  prisma: PrismaClient;
  redis: Redis;
  prefixes: string[];
  workers: WorkerChild[];
  baseEnv: Record<string, string>;
};

/** One batch of N devices written as the API writes them, enqueued through the one enqueue path. */
async function seedAndEnqueue(
  b: Bench,
  queue: Queue,
  label: string,
  count: number,
): Promise<{ batchId: string; enqueuedAt: number }> {
  const batch = await b.prisma.batch.create({
    data: {
      externalRef: `BENCH-${label}`,
      templateName: TEMPLATE,
      payloadFormat: 'JSON',
      mode: 'CREATE_KEYS',
      keyAlgorithm: 'EC_P256',
    },
  });
  const serials = Array.from({ length: count }, (_, i) => `${label}${String(i).padStart(6, '0')}`);
  await b.prisma.device.createMany({ data: serials.map((serial) => ({ serial, batchId: batch.id })) });
  const devices = await b.prisma.device.findMany({
    where: { batchId: batch.id },
    select: { id: true, serial: true },
  });
  const enqueuedAt = Date.now();
  await enqueueProvisioning(
    queue,
    devices.map((d) => ({ deviceId: d.id, serial: d.serial })),
    0,
  );
  return { batchId: batch.id, enqueuedAt };
}

async function waitSettled(b: Bench, batchId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await b.prisma.device.count({
      where: { batchId, state: { in: [...IN_FLIGHT] } },
    });
    if (open === 0) break;
    if (Date.now() > deadline) throw new Error(`${open} devices still unsettled after ${timeoutMs} ms`);
    await sleep(100);
  }
  const failed = await b.prisma.device.count({ where: { batchId, state: { not: 'REGISTERED' } } });
  if (failed > 0) throw new Error(`${failed} devices did not end REGISTERED`);
}

/** A queue prefix of its own per phase, so no phase sees another's jobs or limiter state. */
function phaseQueue(b: Bench, phase: string): { queue: Queue; prefix: string } {
  const prefix = `clbench-${phase}-${process.pid}`;
  b.prefixes.push(prefix);
  return { queue: new Queue(QUEUES.provisioning, { connection: b.redis, prefix }), prefix };
}

async function spawnWorkers(b: Bench, count: number, env: Record<string, string>): Promise<WorkerChild[]> {
  const started: WorkerChild[] = [];
  // One at a time: three start-ups at once on two cores only slow each other down.
  for (let i = 0; i < count; i += 1) {
    const worker = await startWorkerChild({ ...b.baseEnv, ...env, CLAIM_CLIENT_ID_PREFIX: `bench-w${i}` });
    b.workers.push(worker);
    started.push(worker);
  }
  return started;
}

async function stopWorkers(b: Bench, workers: WorkerChild[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop()));
  b.workers = b.workers.filter((w) => !workers.includes(w));
}

async function throughput(b: Bench, connections: number, devices: number): Promise<Result[]> {
  const emulatorBefore = processCpuMs(b.emulator.pid);
  const bare = await runBareLoopChild(b.emulator, connections, devices, TEMPLATE, WARMUP_DEVICES);
  log(
    `bare SDK loop (own process), ${connections} connections: ${bare.flowsPerSecond.toFixed(1)} flows/s; CPU per flow: SDK loop ${bare.cpuMsPerFlow.toFixed(2)} ms, ` +
      `emulator ${((processCpuMs(b.emulator.pid) - emulatorBefore) / devices).toFixed(2)} ms`,
  );
  const { queue, prefix } = phaseQueue(b, 'throughput');
  const workers = await spawnWorkers(b, 1, { QUEUE_PREFIX: prefix, CLAIM_POOL_SIZE: String(connections) });
  // The same warm-up as the bare loop's (JIT, connections, prepared statements), not measured.
  const warmup = await seedAndEnqueue(b, queue, 'WARM', WARMUP_DEVICES);
  await waitSettled(b, warmup.batchId, 120_000);
  const cpuBefore = [processCpuMs(workers[0]!.pid), processCpuMs(b.emulator.pid)];
  const machineBefore = machineCpuMs();
  const { batchId, enqueuedAt } = await seedAndEnqueue(b, queue, 'TPUT', devices);
  await waitSettled(b, batchId, 120_000);
  const machineAfter = machineCpuMs();
  const [workerCpu, emulatorCpu] = [
    processCpuMs(workers[0]!.pid) - cpuBefore[0]!,
    processCpuMs(b.emulator.pid) - cpuBefore[1]!,
  ];
  const workerCpuPerDevice = workerCpu / devices;
  log(
    `  CPU per device: worker ${workerCpuPerDevice.toFixed(2)} ms, emulator ${(emulatorCpu / devices).toFixed(2)} ms; ` +
      `machine busy ${((100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total)).toFixed(0)}%`,
  );
  const last = await b.prisma.device.aggregate({ where: { batchId }, _max: { registeredAt: true } });
  const seconds = (last._max.registeredAt!.getTime() - enqueuedAt) / 1000;
  const pipeline = devices / seconds;
  log(
    `worker pipeline, 1 process, CLAIM_POOL_SIZE=${connections}: ${devices} devices in ${seconds.toFixed(2)} s = ${pipeline.toFixed(1)} devices/s`,
  );
  await stopWorkers(b, workers);
  await queue.close();
  const ratio = pipeline / bare.flowsPerSecond;
  const cpuRatio = workerCpuPerDevice / bare.cpuMsPerFlow;
  return [
    {
      name: `pipeline devices/s (1 worker, ${connections} conns)`,
      value: round(pipeline, 1),
      unit: 'devices/s',
      baseline: { name: `bare SDK loop (${connections} conns)`, value: round(bare.flowsPerSecond, 1) },
      ratio: round(ratio),
      target: '>= 0.8',
      pass: ratio >= 0.8,
    },
    {
      name: 'worker CPU per device',
      value: round(workerCpuPerDevice),
      unit: 'ms',
      baseline: { name: 'bare SDK loop CPU per flow (own process)', value: round(bare.cpuMsPerFlow) },
      ratio: round(cpuRatio),
      target: '<= 2',
      pass: cpuRatio <= 2,
    },
  ];
}

type CounterSecond = { second: number; counts: Record<string, number> };

/** The worker's default quota guard (WORKER_QUOTA_GUARD_MS), and the share of the limit it leaves. */
const QUOTA_GUARD_MS = 150;
const QUOTA_CEILING = 1000 / (1000 + QUOTA_GUARD_MS);

async function quotaAdherence(b: Bench, devices: number): Promise<Result[]> {
  const { queue, prefix } = phaseQueue(b, 'quota');
  const limit = String(QUOTA);
  const workers = await spawnWorkers(b, 3, {
    QUEUE_PREFIX: prefix,
    CLAIM_POOL_SIZE: '4',
    WORKER_QUOTA_CREATE_KEYS_PER_SECOND: limit,
    WORKER_QUOTA_REGISTER_THING_PER_SECOND: limit,
    WORKER_RATE_LIMIT_PER_SECOND: limit,
    WORKER_QUOTA_GUARD_MS: String(QUOTA_GUARD_MS),
  });
  const { batchId, enqueuedAt } = await seedAndEnqueue(b, queue, 'QUOTA', devices);
  await waitSettled(b, batchId, devices * 200 + 30_000);
  await stopWorkers(b, workers);
  await queue.close();

  const counters = (await (await fetch(`${b.emulator.adminUrl}/counters`)).json()) as CounterSecond[];
  const window = counters
    .filter((c) => c.second >= Math.floor(enqueuedAt / 1000))
    .sort((x, y) => x.second - y.second);
  const busiest = Math.max(
    0,
    ...window.flatMap((c) =>
      Object.entries(c.counts)
        .filter(([op]) => op !== 'Connect')
        .map(([, n]) => n),
    ),
  );
  const registering = window.filter((c) => (c.counts.RegisterThing ?? 0) > 0);
  // Steady state: every second from the first to the last RegisterThing, less those two partial seconds.
  const first = registering[0]?.second ?? 0;
  const lastSecond = registering.at(-1)?.second ?? 0;
  const steady: number[] = [];
  for (let s = first + 1; s < lastSecond; s += 1)
    steady.push(window.find((c) => c.second === s)?.counts.RegisterThing ?? 0);
  const achieved = steady.reduce((sum, n) => sum + n, 0) / Math.max(1, steady.length);
  log(
    `quota ${QUOTA}/s, 3 workers: RegisterThing per steady second [${steady.join(' ')}], mean ${achieved.toFixed(2)}; busiest second ${busiest}`,
  );
  return [
    {
      name: `RegisterThing/s at quota ${QUOTA}/s (3 workers, ${steady.length} steady s)`,
      value: round(achieved),
      unit: 'calls/s',
      baseline: { name: 'configured limit', value: QUOTA },
      ratio: round(achieved / QUOTA, 3),
      // The quota holds over any 1000 + guard ms (strict per arrival second), so its ceiling is
      // 1000 / (1000 + guard) of the limit; the target is 0.97 of that ceiling.
      target: `>= ${round(0.97 * QUOTA_CEILING, 3)} (0.97 of the window's ceiling ${round(QUOTA_CEILING, 3)})`,
      pass: steady.length > 0 && achieved / QUOTA >= 0.97 * QUOTA_CEILING,
    },
    {
      name: 'busiest second, any operation (emulator counters)',
      value: busiest,
      unit: 'calls',
      baseline: { name: 'configured limit', value: QUOTA },
      ratio: round(busiest / QUOTA),
      target: `<= ${QUOTA}`,
      pass: busiest <= QUOTA,
    },
  ];
}

async function memory(b: Bench, devices: number): Promise<Result> {
  const { queue, prefix } = phaseQueue(b, 'memory');
  const [worker] = await spawnWorkers(b, 1, {
    QUEUE_PREFIX: prefix,
    CLAIM_POOL_SIZE: String(MEMORY_CONCURRENCY),
  });
  await sleep(1_000);
  const idle = rssBytes(worker!.pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(worker!.pid))), 50);
  try {
    const { batchId } = await seedAndEnqueue(b, queue, 'MEM', devices);
    await waitSettled(b, batchId, 120_000);
  } finally {
    clearInterval(sampler);
  }
  log(
    `worker RSS at concurrency ${MEMORY_CONCURRENCY}: idle ${(idle / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB over ${devices} devices`,
  );
  await stopWorkers(b, [worker!]);
  await queue.close();
  return {
    name: `worker peak RSS (concurrency ${MEMORY_CONCURRENCY}, ${devices} devices)`,
    value: round(peak / MB, 0),
    unit: 'MB',
    baseline: { name: 'same worker idle', value: round(idle / MB, 0) },
    ratio: round(peak / idle),
    target: '<= 250 MB',
    pass: peak / MB <= 250,
  };
}

function log(line: string): void {
  console.log(line);
}

async function cleanUp(b: Partial<Bench>, dir: string): Promise<void> {
  await Promise.all((b.workers ?? []).map((w) => w.stop()));
  if (b.redis) {
    for (const prefix of b.prefixes ?? []) {
      const queue = new Queue(QUEUES.provisioning, { connection: b.redis, prefix });
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      const keys = await b.redis.keys(`${prefix}:*`);
      if (keys.length > 0) await b.redis.del(...keys);
    }
    b.redis.disconnect();
  }
  await b.emulator?.stop();
  await b.db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const connections = option('connections', 8);
  const devices = option('devices', 600);
  const quotaDevices = option('quota-devices', 150);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-worker-bench-'));
  const b: Partial<Bench> = { prefixes: [], workers: [] };
  const results: Result[] = [];
  try {
    b.emulator = await startEmulatorChild(path.join(dir, 'emulator'));
    await prepareTemplateDatabase();
    b.db = await createTestDatabase();
    b.prisma = b.db.prisma;
    b.redis = createRedisConnection(testRedisUrl(), 'producer');
    const keyFile = path.join(dir, 'vault-keys.json');
    ensureLocalKeyFile(keyFile);
    b.baseEnv = {
      DATABASE_URL: b.db.url,
      REDIS_URL: testRedisUrl(),
      LOG_LEVEL: 'info',
      VAULT_LOCAL_KEYS_FILE: keyFile,
      AWS_IOT_ENDPOINT: b.emulator.host,
      AWS_IOT_PORT: String(b.emulator.port),
      AWS_IOT_CA_PATH: b.emulator.files.caPath,
      AWS_IOT_CLAIM_CERT_PATH: b.emulator.files.claimCertPath,
      AWS_IOT_CLAIM_KEY_PATH: b.emulator.files.claimKeyPath,
      WORKER_TEMPLATES_DIR: b.emulator.files.templatesDir,
      CLAIM_OPERATION_TIMEOUT_MS: '10000',
      WORKER_HTTP_PORT: '0',
      WORKER_QUOTA_CREATE_KEYS_PER_SECOND: '0',
      WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: '0',
      WORKER_QUOTA_REGISTER_THING_PER_SECOND: '0',
      WORKER_RATE_LIMIT_PER_SECOND: '100000',
    };
    log(
      `${os.cpus().length} cores, node ${process.version}; emulator pid ${b.emulator.pid} (own process), EC P-256, create-keys, JSON`,
    );
    const bench = b as Bench;
    const phases = (optionText('phases') ?? 'throughput,quota,memory').split(',');
    if (phases.includes('throughput')) results.push(...(await throughput(bench, connections, devices)));
    if (phases.includes('quota')) results.push(...(await quotaAdherence(bench, quotaDevices)));
    if (phases.includes('memory')) results.push(await memory(bench, devices));
  } finally {
    await cleanUp(b, dir);
  }
  console.table(
    results.map((r) => ({
      figure: r.name,
      value: `${r.value} ${r.unit}`,
      baseline: r.baseline ? `${r.baseline.value} (${r.baseline.name})` : '',
      ratio: r.ratio,
      target: r.target,
      pass: r.pass,
    })),
  );
  if (json) console.log(JSON.stringify({ bench: '@claimline/worker', results }));
}

main().then(
  // The SDK's MQTT5 clients keep Node alive for a while after a clean stop: exit explicitly.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
