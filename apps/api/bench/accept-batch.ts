// Bench (not a test). The API runs as its own process (apps/api/dist/main.js: build first), the load
// generator (autocannon) as another, this script only orchestrates and measures:
//   - GET /v1/devices/{serial} (10,000 devices in turn) vs GET /healthz, 100 connections, 10 s each, same
//     API process: req/s and p99;
//   - accepting a 10,000-device JSON batch (median of 3) vs the raw Postgres insert of the same rows;
//   - peak RSS (VmHWM) of a fresh API process accepting a 100,000-device JSON body, and another streaming
//     1,000,000 serials as text/csv.
// Run: pnpm bench --only api   (needs the Postgres and Redis of the tests; BENCH_UPLOAD_UNITS to change 1,000,000)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, prepareTemplateDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { createApiKey } from '../src/auth/api-key.js';
import { batchBody, serials } from '../test/helpers.js';
import { freePort, median, type BenchResult } from '@claimline/test-kit';
import { apiNodeOptions } from './api-node-options.js';
import { autocannon, combined, measured, type Measured } from './load-phases.js';

const apiMain = path.resolve(__dirname, '../dist/main.js');
const UPLOAD_UNITS = Number(process.env.BENCH_UPLOAD_UNITS ?? 1_000_000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });

type Result = BenchResult;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const mb = (bytes: number) => round(bytes / 2 ** 20, 0);

/** Peak resident set size of a process so far (Linux: VmHWM). */
function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

type Api = { port: number; pid: number; stop(): Promise<void> };

async function startApi(env: Record<string, string>): Promise<Api> {
  if (!fs.existsSync(apiMain))
    throw new Error(`${apiMain} is missing: build first (pnpm exec turbo run build)`);
  const port = await freePort();
  // BENCH_API_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the API processes.
  const nodeArgs = process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, apiMain], {
    env: {
      PATH: process.env.PATH,
      ...env,
      API_PORT: String(port),
      API_OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      API_RATE_LIMIT_PER_MINUTE: '100000000',
      API_ANON_RATE_LIMIT_PER_MINUTE: '100000000',
      NODE_ENV: 'production',
      NODE_OPTIONS: apiNodeOptions(),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    const up = await call(port, 'GET', '/healthz', {}).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error('the API did not start in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function call(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: string | Readable,
): Promise<{ status: number; ms: number; text: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        if (text.length < 2_000) text += chunk.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, text }),
      );
    });
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

const json = (body: unknown) => {
  const text = JSON.stringify(body);
  return {
    text,
    headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) },
  };
};

async function main() {
  const results: Result[] = [];
  await prepareTemplateDatabase();
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix('api-bench');
  const redis = createRedisConnection(testRedisUrl(), 'producer');
  const queues = createQueues(redis, prefix);
  const env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix };
  const mesKey = (await createApiKey(db.prisma, { name: 'bench MES', role: 'MES' })).key;
  const auth = { Authorization: `Bearer ${mesKey}` };
  let api: Api | undefined;
  try {
    // 1. Reads and the 10,000-device accept, one API process.
    api = await startApi(env);
    const port = api.port;
    const warm = json(batchBody(serials('WARM', 1000)));
    await call(port, 'POST', '/v1/batches', { ...auth, ...warm.headers }, warm.text);
    const accept: number[] = [];
    const raw: number[] = [];
    for (let run = 0; run < 3; run++) {
      const body = json(batchBody(serials(`B${run}X`, 10_000)));
      const res = await call(port, 'POST', '/v1/batches', { ...auth, ...body.headers }, body.text);
      if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${res.text}`);
      accept.push(res.ms);
      const rows = serials(`R${run}X`, 10_000);
      const started = process.hrtime.bigint();
      await db.query(
        `WITH b AS (INSERT INTO batch (id, external_ref, template_name) VALUES ($1, 'raw', 'claimline-default') RETURNING id)
         INSERT INTO device (id, serial, batch_id, parameters, updated_at)
         SELECT gen_random_uuid(), s, $1::uuid, '{}'::jsonb, now() FROM unnest($2::text[]) AS s`,
        [randomUUID(), rows],
      );
      raw.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(
      `accept 10,000-device batch: median ${median(accept).toFixed(0)} ms (runs ${accept.map((x) => x.toFixed(0)).join(', ')}); raw insert ${median(raw).toFixed(0)} ms`,
    );
    results.push({
      name: 'accept a 10,000-device batch (median of 3)',
      value: round(median(accept), 0),
      unit: 'ms',
      baseline: { name: 'raw INSERT of the same rows', value: round(median(raw), 0) },
      ratio: round(median(accept) / median(raw)),
      target: '<= 1000 ms',
      pass: median(accept) <= 1000,
    });

    const base = `http://127.0.0.1:${port}`;
    // A settled database: the accepts above leave work to autovacuum and the checkpointer that would
    // otherwise run during one phase and not the other.
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    // Every request reads another of the 10,000 devices of the first accepted batch, round and round.
    const devicePaths = serials('B0X', 10_000).map((serial) => `/v1/devices/${serial}`);
    await autocannon(`${base}/healthz`, undefined, 3); // warm-up
    await autocannon(base, auth.Authorization, 3, devicePaths);
    // The two phases alternate, 5 s each, twice: a slow spell of the machine falls on both.
    const phases = { health: [] as Measured[], device: [] as Measured[] };
    for (let i = 0; i < 2; i++) {
      phases.health.push(await measured(api.pid, () => autocannon(`${base}/healthz`, undefined, 5)));
      phases.device.push(await measured(api.pid, () => autocannon(base, auth.Authorization, 5, devicePaths)));
    }
    const health = combined(phases.health);
    const device = combined(phases.device);
    const cpu = (r: typeof health) =>
      `CPU per request: API ${r.apiUs.toFixed(0)} µs, whole machine ${r.machineUs.toFixed(0)} µs`;
    console.log(
      `GET /healthz: ${health.rps.toFixed(0)} req/s, p50 ${health.p50} ms, p99 ${health.p99} ms; ${cpu(health)}`,
    );
    console.log(
      `GET /v1/devices/{serial}: ${device.rps.toFixed(0)} req/s, p50 ${device.p50} ms, p99 ${device.p99} ms, non-2xx ${device.non2xx}, errors ${device.errors}; ${cpu(device)}`,
    );
    if (device.non2xx > 0 || device.errors > 0) throw new Error('GET device answered non-2xx or failed');
    results.push({
      name: 'GET /v1/devices/{serial} req/s, 100 connections, 10,000 devices in turn (autocannon)',
      value: round(device.rps, 0),
      unit: 'req/s',
      baseline: { name: 'GET /healthz req/s, same run', value: round(health.rps, 0) },
      ratio: round(device.rps / health.rps, 2),
      target: '>= 0.7x healthz',
      pass: device.rps >= 0.7 * health.rps,
    });
    results.push({
      name: 'GET /v1/devices/{serial} p99, 100 connections (autocannon)',
      value: device.p99,
      unit: 'ms',
      baseline: { name: 'GET /healthz p99, same run', value: health.p99 },
      ratio: round(device.p99 / Math.max(health.p99, 1), 2),
      target: '<= 3x healthz p99',
      pass: device.p99 <= 3 * Math.max(health.p99, 1),
    });
    await api.stop();
    api = undefined;

    // 2. Peak RSS of a fresh API accepting 100,000 devices as JSON.
    api = await startApi(env);
    const idle = peakRss(api.pid);
    const big = json(batchBody(serials('HUGE', 100_000)));
    const bigRes = await call(api.port, 'POST', '/v1/batches', { ...auth, ...big.headers }, big.text);
    if (bigRes.status !== 202)
      throw new Error(`POST of 100,000 devices answered ${bigRes.status}: ${bigRes.text}`);
    const jsonPeak = peakRss(api.pid);
    console.log(
      `accept 100,000 devices (JSON): ${bigRes.ms.toFixed(0)} ms; API peak RSS ${mb(jsonPeak)} MB (idle ${mb(idle)} MB)`,
    );
    results.push({
      name: 'API peak RSS accepting 100,000 devices as JSON',
      value: mb(jsonPeak),
      unit: 'MB',
      baseline: { name: 'peak RSS of the idle API', value: mb(idle) },
      ratio: round(jsonPeak / idle, 2),
      target: '<= 250 MB',
      pass: jsonPeak <= 250 * 2 ** 20,
    });
    await api.stop();
    api = undefined;
    await queues.provisioning.obliterate({ force: true });

    // 3. Peak RSS of a fresh API accepting UPLOAD_UNITS serials streamed as text/csv.
    api = await startApi(env);
    const idle2 = peakRss(api.pid);
    const csv = Readable.from(
      (function* () {
        yield 'serial\n';
        for (let start = 0; start < UPLOAD_UNITS; start += 10_000) {
          let text = '';
          for (let i = start; i < Math.min(UPLOAD_UNITS, start + 10_000); i++)
            text += `UP${String(i).padStart(8, '0')}\n`;
          yield text;
        }
      })(),
    );
    const query = 'externalRef=BENCH&templateName=claimline-default&payloadFormat=json&mode=create-keys';
    const up = await call(
      api.port,
      'POST',
      `/v1/batches/upload?${query}`,
      { ...auth, 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
      csv,
    );
    if (up.status !== 202) throw new Error(`upload answered ${up.status}: ${up.text}`);
    const uploadPeak = peakRss(api.pid);
    console.log(
      `upload ${UPLOAD_UNITS} serials (text/csv, streamed): ${(up.ms / 1000).toFixed(1)} s; API peak RSS ${mb(uploadPeak)} MB (idle ${mb(idle2)} MB)`,
    );
    results.push({
      name: `API peak RSS accepting ${UPLOAD_UNITS.toLocaleString('en')} serials streamed as text/csv`,
      value: mb(uploadPeak),
      unit: 'MB',
      baseline: { name: 'peak RSS of the idle API', value: mb(idle2) },
      ratio: round(uploadPeak / idle2, 2),
      target: '<= 200 MB',
      pass: uploadPeak <= 200 * 2 ** 20,
    });
    results.push({
      name: `time to accept ${UPLOAD_UNITS.toLocaleString('en')} serials streamed (stored and enqueued)`,
      value: round(up.ms / 1000),
      unit: 's',
      baseline: null,
      ratio: null,
      target: null,
      pass: null,
    });
  } finally {
    agent.destroy();
    await api?.stop();
    await queues.provisioning.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    redis.disconnect();
    await db.drop();
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ bench: '@claimline/api', results }));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
