// Credential download p50/p99 with 20 stations downloading at once, with the station trust chain on
// (RFC 9421 request signatures made by the station and verified by the API with its nonce store, signed
// bundles) against off, the two arms interleaved in one run (BENCH_ROUNDS rounds, ≥ 5; the arm that goes
// first alternates), figures = median over the rounds; plus GET /healthz under the same load and the raw
// vault open + seal cost. `--json`: one line {bench, results: [{name, value, unit, baseline: {name, value}
// | null, ratio, target, pass}]} (the contract of scripts/bench.mjs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiKey, createApp } from '@claimline/api';
import { apiSchema, loadConfig } from '@claimline/config';
import { createPrismaClient } from '@claimline/db';
import { prepareTemplateDatabase, createTestDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createLogger } from '@claimline/logger';
import { generateStationKeyPair, sealToPublicKey } from '@claimline/station-crypto';
import { median, startNodeProcess, summarizeLatencies } from '@claimline/test-kit';
import { createVault } from '@claimline/vault';
import { createStationFixtures, seedUnits } from '../../api/test/station-fixtures.js';
import type { RoundStats, StationsPlan, StationsResult } from './download-stations.js';

const STATIONS = Number(process.env.BENCH_STATIONS ?? 20);
const PER_STATION = Number(process.env.BENCH_PER_STATION ?? 50);
const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 5));
/**
 * BENCH_PACE_MS: each station waits this long on average after each download, as a line does between
 * units (a burn takes seconds). Unset, the stations download back to back: the API is saturated and the
 * p50 ratio follows the ratio of the API's CPU per download. The target applies to that run.
 */
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 0);
const json = process.argv.includes('--json');

const stats = (samples: number[]) => {
  const { p50, p99, max } = summarizeLatencies(samples);
  return { p50, p99, max };
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
    // /healthz is the baseline: the per-address limit for unauthenticated traffic must not throttle it.
    API_ANON_RATE_LIMIT_PER_MINUTE: '100000000',
    API_STATIONS_SERVE_ANY_BATCH: 'true',
    ...fixtures.env,
  });
  // The API's own pool, at the production default size (the test clone's client keeps 4 connections).
  const prisma = createPrismaClient(db.url);
  const deps = { config, prisma, redis, queues, logger: createLogger({ name: 'bench', level: 'silent' }) };
  // Two apps on the same database and Redis: "on" as in production, "off" without request signatures
  // and bundle signatures (AppDeps.stationSignatures = false, which only this benchmark sets).
  const listen = async (stationSignatures: boolean) => {
    const server = http.createServer(createApp({ ...deps, stationSignatures }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const on = await listen(true);
  const off = await listen(false);
  const servers = [on.server, off.server];

  try {
    const stations: StationsPlan['stations'] = [];
    for (let i = 0; i < STATIONS; i++) {
      const key = (
        await createApiKey(db.prisma, { name: `bench ${i}`, role: 'STATION', station: `bench-${i}` })
      ).key;
      const serials = (
        await seedUnits(db.prisma, fixtures, `B${String(i).padStart(2, '0')}-`, PER_STATION)
      ).units.map((u) => u.serial);
      stations.push({ key, serials });
    }
    // The stations run in a process of their own (download-stations.ts), as on a line where each is its
    // own PC: their signing and HTTP clients do not share the API's event loop. Each enrols its own keys
    // there. The plan holds the stations' API keys, so it is written 0600 into the fixtures directory,
    // not passed on the command line.
    const planFile = path.join(fixtures.dir, 'stations-plan.json');
    const plan: StationsPlan = { onUrl: on.url, offUrl: off.url, rounds: ROUNDS, paceMs: PACE_MS, stations };
    fs.writeFileSync(planFile, JSON.stringify(plan), { mode: 0o600 });
    const child = startNodeProcess(path.join(__dirname, 'download-stations.ts'), {
      args: [planFile],
      keepLines: 40,
    });
    let result: StationsResult;
    try {
      const [, line] = await child.waitForLine(/^stations (\{.*\})$/, 600_000);
      result = JSON.parse(line!) as StationsResult;
    } finally {
      await child.stop();
    }
    const rates = result.on.map((a) => a.perSecond);
    const d = {
      p50: median(result.on.map((a) => a.p50)),
      p99: median(result.on.map((a) => a.p99)),
      max: Math.max(...result.on.map((a) => a.max)),
    };
    const u = { p50: median(result.off.map((a) => a.p50)), p99: median(result.off.map((a) => a.p99)) };
    /** CPU per download of one arm, µs: medians over its rounds. */
    const cpuOf = (rounds: RoundStats[]) => ({
      machine: median(rounds.map((r) => r.machineUs)),
      api: median(rounds.map((r) => r.apiUs)),
      stations: median(rounds.map((r) => r.stationsUs)),
    });
    const cpu = { on: cpuOf(result.on), off: cpuOf(result.off) };
    const cpuText = (c: ReturnType<typeof cpuOf>) =>
      `machine ${c.machine.toFixed(0)} µs (API ${c.api.toFixed(0)}, stations ${c.stations.toFixed(0)})`;

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

    const h = result.healthz;
    const c = stats(crypto);
    const none = { baseline: null, ratio: null, target: null, pass: null };
    const rows = [
      {
        name: `credential download p50, signing on vs off (${STATIONS} stations${PACE_MS > 0 ? `, ${PACE_MS} ms between downloads` : ''}, median of ${ROUNDS} interleaved rounds)`,
        value: d.p50,
        unit: 'ms',
        baseline: { name: 'same, signing off', value: u.p50 },
        ratio: d.p50 / u.p50,
        ...(PACE_MS > 0
          ? { target: null, pass: null }
          : { target: 'ratio ≤ 1.15', pass: d.p50 / u.p50 <= 1.15 }),
      },
      {
        name: 'credential download p99, signing on vs off',
        value: d.p99,
        unit: 'ms',
        baseline: { name: 'same, signing off', value: u.p99 },
        ratio: d.p99 / u.p99,
        target: null,
        pass: null,
      },
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
        name: 'machine CPU per download (every process), signing on vs off',
        value: cpu.on.machine,
        unit: 'µs',
        baseline: { name: 'same, signing off', value: cpu.off.machine },
        ratio: cpu.on.machine / cpu.off.machine,
        target: null,
        pass: null,
      },
      {
        name: 'downloads per second (all stations)',
        value: median(rates),
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
        `${STATIONS * PER_STATION} downloads by ${STATIONS} concurrent stations per arm and round${PACE_MS > 0 ? ` (each waiting ${PACE_MS} ms after each download)` : ''}, ${ROUNDS} rounds; per-round p50/p99 on: ${result.on.map((a) => `${a.p50.toFixed(1)}/${a.p99.toFixed(1)}`).join(' ')}; off: ${result.off.map((a) => `${a.p50.toFixed(1)}/${a.p99.toFixed(1)}`).join(' ')}`,
      );
      console.log(`CPU per download, on: ${cpuText(cpu.on)}; off: ${cpuText(cpu.off)}`);
      for (const r of rows)
        console.log(
          `${r.name.padEnd(58)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.baseline === null ? '' : `baseline ${r.baseline.value.toFixed(2)} ${r.unit}  ratio ${r.ratio!.toFixed(2)}x`}`,
        );
      console.log(
        `targets: p50 on/off ≤ 1.15 → ${d.p50 / u.p50 <= 1.15 ? 'met' : 'NOT met'} (${(d.p50 / u.p50).toFixed(2)}); download p99 ≤ 50 ms → ${d.p99 <= 50 ? 'met' : 'NOT met'} (max ${d.max.toFixed(1)} ms)`,
      );
    }
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
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
