import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApiKey, createApp } from '@claimline/api';
import { apiSchema, loadConfig } from '@claimline/config';
import { createQueues, createRedisConnection } from '@claimline/jobs';
import { testRedisUrl } from '@claimline/jobs/testing';
import { createLogger } from '@claimline/logger';
import { Agent, fetch as undiciFetch } from 'undici';
import { seedBatch, startHarness, waitForSettled, type Harness } from '../../worker/test/harness.js';

/**
 * Everything real: the emulator, a cloned database, a Redis prefix and a worker process (the worker
 * tests' harness), batches provisioned through them, and the API on an ephemeral port.
 */
export type Loop = {
  h: Harness;
  url: string;
  /** The local CA of the API's TLS certificate (the station pins it with --server-ca). */
  caFile: string;
  /** fetch that trusts `caFile`. */
  fetch(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<Response>;
  adminKey: string;
  root: string;
  batches: { batchId: string; serials: string[] }[];
  /** What the API logged, one JSON line each (empty unless `apiLogLevel` was given). */
  apiLog: string[];
  close(): Promise<void>;
};

const repoRoot = path.resolve(__dirname, '../../..');
const tsxLoader = require.resolve('tsx/cjs', { paths: [repoRoot] });
export const fakeBurn = path.join(__dirname, 'fixtures/fake-burn.js');

const localTlsScript = path.resolve(__dirname, '../../../scripts/local-tls.mjs');

/**
 * A local CA and a server certificate for 127.0.0.1 and localhost: the local start's own
 * (`scripts/local-tls.mjs`, an ES module, so run in a Node of its own), under `<dir>/tls`.
 */
export function makeLocalTls(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const made = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { ensureLocalTls } from ${JSON.stringify(pathToFileURL(localTlsScript).href)};
       console.log(JSON.stringify(ensureLocalTls(process.argv[1])));`,
      dir,
    ],
    { encoding: 'utf8' },
  );
  const paths = JSON.parse(made) as { ca: string; cert: string; key: string };
  return { caFile: paths.ca, certFile: paths.cert, keyFile: paths.key };
}

export async function startLoop(batchSizes: number[], options: { apiLogLevel?: string } = {}): Promise<Loop> {
  const h = await startHarness();
  const batches = [];
  for (const [i, count] of batchSizes.entries())
    batches.push(await seedBatch(h, { count, serialPrefix: `ST${i}-` }));
  const worker = h.spawnWorker({ LOG_LEVEL: 'warn' });
  await waitForSettled(
    h,
    batches.map((b) => b.batchId),
    40_000,
  );
  await worker.stop();
  const registered = await h.prisma.device.count({ where: { state: 'REGISTERED' } });
  if (registered !== batchSizes.reduce((a, b) => a + b, 0))
    throw new Error(`only ${registered} units registered:\n${worker.output.join('')}`);
  return { ...(await serveApi(h, options)), batches };
}

/** What `serveApi` records besides the log: every request body the API read (its raw bytes). */
export type Served = Omit<Loop, 'batches'> & { requestBodies: Buffer[] };

/**
 * The API over HTTPS (a local CA) on an ephemeral port, on the harness's database and queue prefix,
 * with an ADMIN key. `close()` stops it and the harness.
 */
export async function serveApi(
  h: Harness,
  options: { apiLogLevel?: string; env?: Record<string, string> } = {},
): Promise<Served> {
  const redis = createRedisConnection(testRedisUrl(), 'producer');
  const config = loadConfig('api', apiSchema, {
    DATABASE_URL: h.db.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: h.prefix,
    LOG_LEVEL: 'silent',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    API_STATIONS_SERVE_ANY_BATCH: 'true',
    VAULT_LOCAL_KEYS_FILE: h.env.VAULT_LOCAL_KEYS_FILE!,
    API_DEVICE_CA_PATH: h.emulator.files.caPath, // the endpoint comes from endpoint.json next to it
    ...options.env,
  });
  const queues = createQueues(redis, h.prefix);
  const apiLog: string[] = [];
  const app = createApp({
    config,
    prisma: h.prisma,
    redis,
    queues,
    logger: createLogger({
      name: 'api',
      level: options.apiLogLevel ?? 'silent',
      destination: { write: (line: string) => apiLog.push(line) },
    }),
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-station-test-'));
  const tls = makeLocalTls(root);
  // HTTPS, as the station expects: the full loop runs over TLS with a local CA.
  const server = https.createServer(
    { cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) },
    app,
  );
  // The raw body the API kept (for Content-Digest), once the answer is sent.
  const requestBodies: Buffer[] = [];
  server.on('request', (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse) =>
    res.on('finish', () => {
      if (req.rawBody?.length) requestBodies.push(req.rawBody);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminKey = (await createApiKey(h.prisma, { name: 'admin', role: 'ADMIN' })).key;
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(tls.caFile, 'utf8') } });
  return {
    h,
    url,
    caFile: tls.caFile,
    fetch: (target, init) => undiciFetch(target, { ...init, dispatcher }) as unknown as Promise<Response>,
    adminKey,
    root,
    apiLog,
    requestBodies,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await queues.close();
      await dispatcher.close();
      redis.disconnect();
      await h.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function registerStation(loop: Loop, name: string): Promise<string> {
  const res = await loop.fetch(`${loop.url}/v1/stations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${loop.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { apiKey: { key: string } }).apiKey.key;
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** The station CLI as its own process (like on the line PC), stdin fed like a barcode scanner. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      tsxLoader,
      '--conditions=claimline-source',
      path.join(repoRoot, 'apps/station/src/main.ts'),
      ...args,
    ],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export const burnCommand = (imagesDir: string) =>
  `node ${fakeBurn} {cert} {key} {ca} {serial} {thingName} {endpoint} ${imagesDir}`;

/** An ADMIN call to the loop's API. */
export async function admin(loop: Loop, method: string, pathname: string, body?: unknown) {
  const res = await loop.fetch(`${loop.url}${pathname}`, {
    method,
    headers: {
      Authorization: `Bearer ${loop.adminKey}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
