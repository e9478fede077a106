// Bench (not a test): time to accept a 10,000-device batch vs the raw Postgres insert of the same rows,
// peak RSS while accepting a 100,000-device batch, and GET /v1/devices/{serial} p99 at 100 connections.
// Run: cd apps/api && pnpm bench [--json]   (needs the Postgres and Redis of the tests)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { batchBody, serials, startTestApi } from '../test/helpers.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          ...headers,
          ...(body
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Result = {
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number } | null;
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
};
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function main() {
  const results: Result[] = [];
  const api = await startTestApi({}, { maxConnections: 20 });
  const server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const auth = api.auth(api.keys.mes);
  try {
    // Warm-up (JIT, connection pool).
    await call(port, 'POST', '/v1/batches', auth, JSON.stringify(batchBody(serials('WARM', 1000))));

    const runs = 3;
    const accept: number[] = [];
    const raw: number[] = [];
    for (let run = 0; run < runs; run++) {
      const body = JSON.stringify(batchBody(serials(`B${run}X`, 10_000)));
      const res = await call(port, 'POST', '/v1/batches', auth, body);
      if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
      accept.push(res.ms);
      // Baseline: the same rows, one raw INSERT … SELECT unnest, in a batch of its own (no API, no queue).
      const batchId = randomUUID();
      const rows = serials(`R${run}X`, 10_000);
      const started = process.hrtime.bigint();
      await api.db.query(
        `WITH b AS (INSERT INTO batch (id, external_ref, template_name) VALUES ($1, 'raw', 'claimline-default') RETURNING id)
         INSERT INTO device (id, serial, batch_id, parameters, updated_at)
         SELECT gen_random_uuid(), s, $1::uuid, '{}'::jsonb, now() FROM unnest($2::text[]) AS s`,
        [batchId, rows],
      );
      raw.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `accept 10,000-device batch: median ${median(accept).toFixed(0)} ms (runs: ${accept.map((x) => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `raw Postgres insert of 10,000 rows: median ${median(raw).toFixed(0)} ms; ratio API/raw = ${(median(accept) / median(raw)).toFixed(1)}x`,
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

    // Peak RSS while accepting 100,000 devices (the app runs in this process).
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const rssBefore = process.memoryUsage().rss;
    const big = await call(
      port,
      'POST',
      '/v1/batches',
      auth,
      JSON.stringify(batchBody(serials('HUGE', 100_000))),
    );
    clearInterval(sampler);
    console.log(
      `accept 100,000-device batch: ${big.status} in ${big.ms.toFixed(0)} ms; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB before, peak ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
    if (big.status !== 202) throw new Error(`POST of 100,000 devices answered ${big.status}`);
    results.push({
      name: 'peak RSS accepting a 100,000-device batch',
      value: round(peak / 2 ** 20, 0),
      unit: 'MB',
      baseline: { name: 'RSS before the request', value: round(rssBefore / 2 ** 20, 0) },
      ratio: round(peak / rssBefore, 2),
      target: null,
      pass: null,
    });

    // GET device at 100 concurrent keep-alive connections.
    const targets = serials('B0X', 10_000);
    const latencies: number[] = [];
    const deadline = Date.now() + 10_000;
    let statusErrors = 0;
    await Promise.all(
      Array.from({ length: 100 }, async (_, worker) => {
        for (let i = worker; Date.now() < deadline; i += 100) {
          const res = await call(port, 'GET', `/v1/devices/${targets[i % targets.length]}`, auth);
          if (res.status !== 200) statusErrors++;
          latencies.push(res.ms);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]!.toFixed(1);
    console.log(
      `GET /v1/devices/{serial}, 100 connections, 10 s: ${latencies.length} requests (${(latencies.length / 10).toFixed(0)}/s), p50 ${pct(50)} ms, p99 ${pct(99)} ms, non-200: ${statusErrors}`,
    );
    if (statusErrors > 0) throw new Error(`${statusErrors} GET requests did not answer 200`);
    results.push({
      name: 'GET /v1/devices/{serial} p99, 100 connections',
      value: Number(pct(99)),
      unit: 'ms',
      baseline: { name: 'p50 of the same run', value: Number(pct(50)) },
      ratio: round(Number(pct(99)) / Number(pct(50)), 2),
      target: null,
      pass: null,
    });
  } finally {
    agent.destroy();
    await new Promise((r) => server.close(r));
    await api.close();
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
