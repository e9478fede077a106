// Bench (not a test): only the streamed upload of `pnpm bench --only api`, with the API's memory sampled
// over time, for finding where it goes. A fresh API process (apps/api/dist/main.js: build first) takes
// BENCH_UPLOAD_UNITS serials (default 1,000,000) as text/csv; every 250 ms this prints nothing but keeps
// VmRSS, the device rows stored and the jobs queued, and at the end the peak (VmHWM) and the samples
// around it. The API gets the image's NODE_OPTIONS (heap bounds); BENCH_API_NODE_ARGS adds flags to its
// node (e.g. --trace-gc). BENCH_UPLOAD_FORMAT=json posts the same serials as one JSON body to
// POST /v1/batches instead (the batch endpoint's contract: the body is buffered and validated whole).
//   pnpm exec tsx --conditions=claimline-source apps/api/bench/upload-memory.ts
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createTestDatabase } from '@claimline/db/testing';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl, uniqueQueuePrefix } from '@claimline/jobs/testing';
import { freePort } from '@claimline/test-kit';
import { createApiKey } from '../src/auth/api-key.js';
import { apiNodeOptions } from './api-node-options.js';

const apiMain = path.resolve(__dirname, '../dist/main.js');
const UNITS = Number(process.env.BENCH_UPLOAD_UNITS ?? 1_000_000);
const AS_JSON = process.env.BENCH_UPLOAD_FORMAT === 'json';
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const status = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) *
  1024;

function serialsCsv(): Readable {
  return Readable.from(
    (function* () {
      yield 'serial\n';
      for (let start = 0; start < UNITS; start += 10_000) {
        let text = '';
        for (let i = start; i < Math.min(UNITS, start + 10_000); i++)
          text += `UP${String(i).padStart(8, '0')}\n`;
        yield text;
      }
    })(),
  );
}

/** The same serials as one `POST /v1/batches` body. */
function serialsJson(): Readable {
  const devices = Array.from({ length: UNITS }, (_, i) => ({ serial: `UP${String(i).padStart(8, '0')}` }));
  return Readable.from([
    JSON.stringify({
      externalRef: 'BENCH',
      templateName: 'claimline-default',
      payloadFormat: 'json',
      mode: 'create-keys',
      devices,
    }),
  ]);
}

async function main() {
  const db = await createTestDatabase();
  const prefix = uniqueQueuePrefix('upload-mem');
  const redis = createRedisConnection(testRedisUrl(), 'producer');
  const queues = createQueues(redis, prefix);
  const key = (await createApiKey(db.prisma, { name: 'bench MES', role: 'MES' })).key;
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const api = spawn(process.execPath, [...nodeArgs, apiMain], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.appUrl,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      API_PORT: String(port),
      API_OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      NODE_OPTIONS: apiNodeOptions(),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const samples: { s: number; rss: number; rows: number; jobs: number }[] = [];
  const started = Date.now();
  let sampling = true;
  try {
    for (let up = false; !up;) {
      await new Promise((r) => setTimeout(r, 200));
      up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    }
    const idle = status(api.pid!, 'VmHWM');
    const sampler = (async () => {
      while (sampling) {
        const [[row], jobs] = await Promise.all([
          db.query<{ n: number }>('SELECT count(*)::int AS n FROM device'),
          queues.provisioning.count(),
        ]);
        samples.push({
          s: (Date.now() - started) / 1000,
          rss: status(api.pid!, 'VmRSS'),
          rows: row!.n,
          jobs,
        });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const query = 'externalRef=BENCH&templateName=claimline-default&payloadFormat=json&mode=create-keys';
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: AS_JSON ? '/v1/batches' : `/v1/batches/upload?${query}`,
          headers: {
            Authorization: `Bearer ${key}`,
            'Content-Type': AS_JSON ? 'application/json' : 'text/csv',
            'Transfer-Encoding': 'chunked',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      (AS_JSON ? serialsJson() : serialsCsv()).pipe(req);
    });
    sampling = false;
    await sampler;
    const peak = status(api.pid!, 'VmHWM');
    const seconds = (Date.now() - started) / 1000;
    console.log(`answer ${answer.status} ${answer.text.slice(0, 200)}`);
    console.log(
      `${UNITS} serials (${AS_JSON ? 'JSON' : 'text/csv'}) in ${seconds.toFixed(1)} s: peak RSS ${mb(peak)} MB (idle ${mb(idle)} MB)`,
    );
    const step = Math.max(1, Math.floor(samples.length / 40));
    for (const [i, x] of samples.entries())
      if (i % step === 0 || x.rss >= peak * 0.97)
        console.log(
          `${x.s.toFixed(1).padStart(7)} s  rss ${String(mb(x.rss)).padStart(4)} MB  rows ${x.rows}  jobs ${x.jobs}`,
        );
  } finally {
    sampling = false;
    api.kill('SIGTERM');
    await queues.provisioning.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
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
