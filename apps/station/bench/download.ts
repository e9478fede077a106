// Credential download p99 with 20 stations downloading at once, against GET /healthz under the same
// load and the raw vault open + seal cost, in one run. `--json`: one line {bench, results: [{name, value,
// unit, baseline: {name, value} | null, ratio, target, pass}]} (the contract of scripts/bench.mjs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createApiKey, createApp } from '@claimline/api';
import { apiSchema, loadConfig } from '@claimline/config';
import { createPrismaClient } from '@claimline/db';
import { prepareTemplateDatabase, createTestDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createLogger } from '@claimline/logger';
import { generateStationKeyPair, sealToPublicKey } from '@claimline/station-crypto';
import { createVault } from '@claimline/vault';
import { createStationFixtures, seedUnits } from '../../api/test/station-fixtures.js';

const STATIONS = Number(process.env.BENCH_STATIONS ?? 20);
const PER_STATION = Number(process.env.BENCH_PER_STATION ?? 50);
const json = process.argv.includes('--json');

const p = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: p(s, 0.5), p99: p(s, 0.99), max: s[s.length - 1]! };
};

async function main() {
  await prepareTemplateDatabase();
  const db = await createTestDatabase();
  const fixtures = createStationFixtures();
  const redis = createRedisConnection(testRedisUrl(), 'producer');
  const prefix = uniqueQueuePrefix('bench');
  const queues = createQueues(redis, prefix);
  const config = loadConfig('api', apiSchema, {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    API_RATE_LIMIT_PER_MINUTE: '100000000',
    API_STATIONS_SERVE_ANY_BATCH: 'true',
    ...fixtures.env,
  });
  // The API's own pool, at the production default size (the test clone's client keeps 4 connections).
  const prisma = createPrismaClient(db.url);
  const app = createApp({
    config,
    prisma,
    redis,
    queues,
    logger: createLogger({ name: 'bench', level: 'silent' }),
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: STATIONS * 2 });
  const get = (path: string, key?: string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = http.get(
        `${url}${path}`,
        { agent, headers: key ? { Authorization: `Bearer ${key}` } : {} },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
    });

  try {
    const keys: string[] = [];
    const serials: string[][] = [];
    for (let i = 0; i < STATIONS; i++) {
      const key = (
        await createApiKey(db.prisma, { name: `bench ${i}`, role: 'STATION', station: `bench-${i}` })
      ).key;
      const pub = generateStationKeyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await db.prisma.station.update({ where: { name: `bench-${i}` }, data: { publicKey: pub } });
      keys.push(key);
      serials.push(
        (await seedUnits(db.prisma, fixtures, `B${String(i).padStart(2, '0')}-`, PER_STATION)).units.map(
          (u) => u.serial,
        ),
      );
    }
    // Warm-up: connections, prepared statements, JIT.
    await Promise.all(keys.map((k) => get('/v1/station/batches', k)));
    for (let i = 0; i < 200; i++) await get('/healthz');

    const healthz: number[] = [];
    await Promise.all(
      keys.map(async () => {
        for (let i = 0; i < PER_STATION; i++) healthz.push(await get('/healthz'));
      }),
    );
    const downloads: number[] = [];
    const wallStart = performance.now();
    await Promise.all(
      keys.map(async (key, i) => {
        for (const serial of serials[i]!)
          downloads.push(await get(`/v1/station/devices/${serial}/credentials`, key));
      }),
    );
    const wall = performance.now() - wallStart;

    // The cryptographic part alone: vault open + HPKE seal to an X25519 key, one at a time.
    const vault = createVault({
      VAULT_PROVIDER: 'local',
      VAULT_LOCAL_KEYS_FILE: fixtures.env.VAULT_LOCAL_KEYS_FILE,
    });
    const context = { serial: 'X', certificateId: 'c'.repeat(64), purpose: 'private-key' } as const;
    const record = await vault.seal({ plaintext: Buffer.alloc(241, 7), context });
    const pub = generateStationKeyPair().publicKey;
    const crypto: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      const plain = await vault.open(record, context);
      await sealToPublicKey(plain, pub, {
        serial: 'X',
        certificateId: context.certificateId,
        stationId: 's',
      });
      crypto.push(performance.now() - t);
    }

    const d = stats(downloads);
    const h = stats(healthz);
    const c = stats(crypto);
    const none = { baseline: null, ratio: null, target: null, pass: null };
    const rows = [
      {
        name: `credential download p99 (${STATIONS} stations at once)`,
        value: d.p99,
        unit: 'ms',
        baseline: { name: `GET /healthz p99 (${STATIONS} at once)`, value: h.p99 },
        ratio: d.p99 / h.p99,
        target: '≤ 50 ms',
        pass: d.p99 <= 50,
      },
      {
        name: 'credential download p50',
        value: d.p50,
        unit: 'ms',
        baseline: { name: `GET /healthz p50 (${STATIONS} at once)`, value: h.p50 },
        ratio: d.p50 / h.p50,
        target: null,
        pass: null,
      },
      {
        name: 'downloads per second (all stations)',
        value: (downloads.length / wall) * 1000,
        unit: '1/s',
        ...none,
      },
      { name: 'vault open + seal to station key p50 (one at a time)', value: c.p50, unit: 'ms', ...none },
      { name: 'vault open + seal to station key p99', value: c.p99, unit: 'ms', ...none },
    ];
    if (json) {
      // The workspace bench contract (scripts/bench.mjs): one JSON line, last on stdout.
      console.log(JSON.stringify({ bench: '@claimline/station', results: rows }));
    } else {
      console.log(
        `${downloads.length} downloads by ${STATIONS} concurrent stations; baseline = GET /healthz p99/p50 at the same concurrency (${healthz.length} requests)`,
      );
      for (const r of rows)
        console.log(
          `${r.name.padEnd(58)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.baseline === null ? '' : `baseline ${r.baseline.value.toFixed(2)} ms  ratio ${r.ratio!.toFixed(1)}x`}`,
        );
      console.log(
        `target: download p99 ≤ 50 ms → ${d.p99 <= 50 ? 'met' : 'NOT met'} (max ${d.max.toFixed(1)} ms)`,
      );
    }
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await queues.close();
    redis.disconnect();
    await prisma.$disconnect();
    await db.drop();
    fs.rmSync(fixtures.dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
