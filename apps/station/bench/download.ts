// Credential download p50/p99 with 20 stations downloading at once, with the station trust chain on
// (RFC 9421 request signatures made by the station and verified by the API with its nonce store, signed
// bundles) against off, the two arms interleaved in one run (BENCH_ROUNDS rounds, ≥ 5; the arm that goes
// first alternates), figures = median over the rounds; plus GET /healthz under the same load and the raw
// vault open + seal cost. `--json`: one line {bench, results: [{name, value, unit, baseline: {name, value}
// | null, ratio, target, pass}]} (the contract of scripts/bench.mjs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createApiKey, createApp } from '@claimline/api';
import { apiSchema, loadConfig } from '@claimline/config';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createPrismaClient } from '@claimline/db';
import { prepareTemplateDatabase, createTestDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createLogger } from '@claimline/logger';
import { createRequestSigner, type RequestSigner } from '@claimline/station-contract';
import { generateStationKeyPair, sealToPublicKey } from '@claimline/station-crypto';
import { median, summarizeLatencies } from '@claimline/test-kit';
import { createVault } from '@claimline/vault';
import { createStationFixtures, seedUnits } from '../../api/test/station-fixtures.js';

const STATIONS = Number(process.env.BENCH_STATIONS ?? 20);
const PER_STATION = Number(process.env.BENCH_PER_STATION ?? 50);
const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 5));
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
  const agent = new http.Agent({ keepAlive: true, maxSockets: STATIONS * 4 });
  /** One request; with a signer, signed first (inside the timed part: the station pays for it too). */
  const get = (path: string, key?: string, signer?: RequestSigner, url = on.url) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const signing = signer ? signer.sign({ method: 'GET', url: `${url}${path}` }) : Promise.resolve({});
      void signing.then((signature) => {
        const req = http.get(
          `${url}${path}`,
          { agent, headers: key ? { Authorization: `Bearer ${key}`, ...signature } : {} },
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
      }, reject);
    });

  try {
    const keys: string[] = [];
    const signers: RequestSigner[] = [];
    const serials: string[][] = [];
    for (let i = 0; i < STATIONS; i++) {
      const key = (
        await createApiKey(db.prisma, { name: `bench ${i}`, role: 'STATION', station: `bench-${i}` })
      ).key;
      const pub = generateStationKeyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const signing = generateKeyPairSync('ed25519');
      await db.prisma.station.update({
        where: { name: `bench-${i}` },
        data: {
          publicKey: pub,
          signingPublicKey: signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
      });
      keys.push(key);
      signers.push(createRequestSigner(signing.privateKey, () => randomBytes(18).toString('base64url')));
      serials.push(
        (await seedUnits(db.prisma, fixtures, `B${String(i).padStart(2, '0')}-`, PER_STATION)).units.map(
          (u) => u.serial,
        ),
      );
    }
    // Warm-up: connections, prepared statements, JIT, the bundle key (both arms).
    for (const url of [on.url, off.url])
      await Promise.all(keys.map((k, i) => get('/v1/station/batches', k, signers[i], url)));
    await Promise.all(
      keys.map((k, i) => get(`/v1/station/devices/${serials[i]![0]}/credentials`, k, signers[i])),
    );
    for (let i = 0; i < 200; i++) await get('/healthz');

    const healthz: number[] = [];
    await Promise.all(
      keys.map(async () => {
        for (let i = 0; i < PER_STATION; i++) healthz.push(await get('/healthz'));
      }),
    );
    /** One round of one arm: every station downloads its units (a re-download by the same station is allowed). */
    const round = async (signed: boolean) => {
      const samples: number[] = [];
      const started = performance.now();
      await Promise.all(
        keys.map(async (key, i) => {
          for (const serial of serials[i]!)
            samples.push(
              await get(
                `/v1/station/devices/${serial}/credentials`,
                key,
                signed ? signers[i] : undefined,
                signed ? on.url : off.url,
              ),
            );
        }),
      );
      return { ...stats(samples), perSecond: (samples.length / (performance.now() - started)) * 1000 };
    };
    const arms = { on: [] as ReturnType<typeof stats>[], off: [] as ReturnType<typeof stats>[] };
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const signed of r % 2 === 0 ? [true, false] : [false, true]) {
        const result = await round(signed);
        (signed ? arms.on : arms.off).push(result);
        if (signed) rates.push(result.perSecond);
      }
    }
    const d = {
      p50: median(arms.on.map((a) => a.p50)),
      p99: median(arms.on.map((a) => a.p99)),
      max: Math.max(...arms.on.map((a) => a.max)),
    };
    const u = { p50: median(arms.off.map((a) => a.p50)), p99: median(arms.off.map((a) => a.p99)) };

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

    const h = stats(healthz);
    const c = stats(crypto);
    const none = { baseline: null, ratio: null, target: null, pass: null };
    const rows = [
      {
        name: `credential download p50, signing on vs off (${STATIONS} stations, median of ${ROUNDS} interleaved rounds)`,
        value: d.p50,
        unit: 'ms',
        baseline: { name: 'same, signing off', value: u.p50 },
        ratio: d.p50 / u.p50,
        target: 'ratio ≤ 1.15',
        pass: d.p50 / u.p50 <= 1.15,
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
        `${STATIONS * PER_STATION} downloads by ${STATIONS} concurrent stations per arm and round, ${ROUNDS} rounds; per-round p50/p99 on: ${arms.on.map((a) => `${a.p50.toFixed(1)}/${a.p99.toFixed(1)}`).join(' ')}; off: ${arms.off.map((a) => `${a.p50.toFixed(1)}/${a.p99.toFixed(1)}`).join(' ')}`,
      );
      for (const r of rows)
        console.log(
          `${r.name.padEnd(58)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.baseline === null ? '' : `baseline ${r.baseline.value.toFixed(2)} ms  ratio ${r.ratio!.toFixed(2)}x`}`,
        );
      console.log(
        `targets: p50 on/off ≤ 1.15 → ${d.p50 / u.p50 <= 1.15 ? 'met' : 'NOT met'} (${(d.p50 / u.p50).toFixed(2)}); download p99 ≤ 50 ms → ${d.p99 <= 50 ? 'met' : 'NOT met'} (max ${d.max.toFixed(1)} ms)`,
      );
    }
  } finally {
    agent.destroy();
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
