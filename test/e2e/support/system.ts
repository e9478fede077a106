import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';
import { delay, freePort, freePorts, waitFor } from '@claimline/test-kit';

/**
 * The whole claimline system as separate processes, for the end-to-end suite: its own redis-server
 * (append-only, on a free port, in a tmp dir), the emulator process (own state dir, fixed free ports so
 * that a restart keeps them), the API process and N worker processes, all started from the TypeScript
 * sources (`node --require tsx/cjs --conditions=claimline-source`), against a cloned test database.
 * The test talks to it only through HTTP (REST API, emulator admin API), the station and keys CLIs,
 * and SQL/Redis reads for the final assertions. Every process is killed by its pid in `close()`.
 */

export const repoRoot = path.resolve(__dirname, '../../..');
const tsxLoader = require.resolve('tsx/cjs', { paths: [repoRoot] });
const LOG_LINES_KEPT = 300;

// ---------------------------------------------------------------------------------------------- utils

/** Pacing (a restart's down time, a retry), never evidence that nothing happened. */
export const sleep = delay;
export { freePort, freePorts, waitFor };

export type HttpResult<T = unknown> = { status: number; body: T; text: string };

export async function http<T = unknown>(
  method: string,
  url: string,
  options: { key?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpResult<T>> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T, text };
}

/** Like `http`, but any status other than `expected` throws with the answer. */
export async function call<T = unknown>(
  method: string,
  url: string,
  expected: number,
  options: { key?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<T> {
  const result = await http<T>(method, url, options);
  if (result.status !== expected)
    throw new Error(
      `${method} ${url}: expected ${expected}, got ${result.status}: ${result.text.slice(0, 500)}`,
    );
  return result.body;
}

// ------------------------------------------------------------------------------------------ processes

export type Proc = {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last lines of stdout and stderr, for failure messages. */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Sends `signal` (by pid) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  tail(n?: number): string;
};

function track(name: string, child: ChildProcess): Proc {
  const lines: string[] = [];
  const keep = (stream: NodeJS.ReadableStream | null) => {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > LOG_LINES_KEPT) lines.shift();
      }
    });
  };
  keep(child.stdout);
  keep(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    pid: child.pid!,
    lines,
    exited,
    alive,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (!alive()) return;
      process.kill(child.pid!, signal);
      const timer = setTimeout(() => alive() && process.kill(child.pid!, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    tail(n = 40) {
      return lines
        .slice(-n)
        .map((l) => `  ${name}| ${l}`)
        .join('\n');
    },
  };
}

function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
  };
}

/** A claimline program started from its TypeScript sources, like the worker tests do. */
export function spawnTs(
  name: string,
  entry: string,
  args: string[],
  env: Record<string, string>,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Proc {
  const child = spawn(
    process.execPath,
    ['--require', tsxLoader, '--conditions=claimline-source', path.join(repoRoot, entry), ...args],
    {
      cwd: repoRoot,
      env: { ...baseEnv(), ...env },
      stdio: [stdin, 'pipe', 'pipe'],
    },
  );
  return track(name, child);
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs a claimline CLI from the sources to its end, stdin fed like a barcode scanner. */
export function runTsCli(
  entry: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    ['--require', tsxLoader, '--conditions=claimline-source', path.join(repoRoot, entry), ...args],
    {
      cwd: repoRoot,
      env: { ...baseEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(options.stdin ?? '');
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${path.basename(entry)} ${args[0]} did not finish in ${timeoutMs / 1000} s\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ------------------------------------------------------------------------------------------- system

export type EmulatorSettings = {
  keyAlgorithm: 'ec-p256' | 'rsa-2048';
  quotas: 'off' | 'defaults' | Record<string, number>;
  /** Templates instead of the bundled ones (a pre-provisioning hook, say). */
  templatesDir?: string;
  /** Ownership-token validity at the emulator (AWS: 3600 s). */
  tokenTtlSeconds?: number;
};

export type SystemOptions = {
  label: string;
  workers: number;
  /** Extra worker variables (time-outs, locks, quotas). */
  workerEnv?: Record<string, string>;
  emulator?: Partial<EmulatorSettings>;
};

export type System = {
  dir: string;
  db: TestDatabase;
  prefix: string;
  redisUrl: string;
  apiUrl: string;
  emulatorAdminUrl: string;
  emulatorStateDir: string;
  workers: Proc[];
  api: Proc;
  emulator: Proc;
  redis: Proc;
  startWorker(extraEnv?: Record<string, string>): Proc;
  /** SIGTERM (state flushed), then a new process on the same state dir and ports. */
  restartEmulator(downMs?: number): Promise<void>;
  /** SHUTDOWN (fsyncs the append-only file), then a new redis-server on the same port and dir. */
  restartRedis(downMs?: number): Promise<void>;
  /** A key made by `keys-cli create` (the CLI, against the test database). */
  createKey(name: string, role: 'ADMIN' | 'MES' | 'VIEWER'): Promise<string>;
  /** Every process's last log lines, for failure messages. */
  diagnostics(lines?: number): string;
  close(): Promise<void>;
};

const emulatorEntry = 'apps/emulator/src/main.ts';
const apiEntry = 'apps/api/src/main.ts';
const workerEntry = 'apps/worker/src/main.ts';
export const stationEntry = 'apps/station/src/main.ts';
const keysCliEntry = 'apps/api/src/keys-cli.ts';

function redisPing(port: number): boolean {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], {
    encoding: 'utf8',
    timeout: 2_000,
  });
  return result.status === 0 && result.stdout.trim() === 'PONG';
}

export async function startSystem(options: SystemOptions): Promise<System> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `claimline-e2e-${options.label}-`));
  const procs: Proc[] = [];
  let db: TestDatabase | undefined;

  try {
    // The emulator's control port is fixed too: workers read its address once, and a restarted
    // emulator must answer there (as AWS's endpoint does not move).
    const [redisPort, mqttPort, adminPort, apiPort, apiOpsPort, controlPort] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const redisDir = path.join(dir, 'redis');
    fs.mkdirSync(redisDir);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;

    const startRedis = async (): Promise<Proc> => {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(redisPort),
          '--bind',
          '127.0.0.1',
          '--dir',
          redisDir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
          '--daemonize',
          'no',
          '--loglevel',
          'warning',
        ],
        { cwd: redisDir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const proc = track('redis', child);
      procs.push(proc);
      await waitFor(
        'redis-server to answer PING',
        () => (proc.alive() ? redisPing(redisPort) : Promise.reject(new Error('redis-server exited'))),
        {
          timeoutMs: 15_000,
          detail: () => proc.tail(),
        },
      );
      return proc;
    };

    const emulatorStateDir = path.join(dir, 'emulator');
    const emulatorAdminUrl = `http://127.0.0.1:${adminPort}`;
    const emulatorSettings: EmulatorSettings = {
      keyAlgorithm: 'ec-p256',
      quotas: 'off',
      ...options.emulator,
    };
    const startEmulator = async (): Promise<Proc> => {
      const args = [
        '--state-dir',
        emulatorStateDir,
        '--host',
        '127.0.0.1',
        '--port',
        String(mqttPort),
        '--admin-port',
        String(adminPort),
        '--control-port',
        String(controlPort),
        '--key-algorithm',
        emulatorSettings.keyAlgorithm,
        '--log-level',
        'warn',
      ];
      if (emulatorSettings.templatesDir) args.push('--templates-dir', emulatorSettings.templatesDir);
      if (emulatorSettings.tokenTtlSeconds !== undefined)
        args.push('--token-ttl-seconds', String(emulatorSettings.tokenTtlSeconds));
      if (emulatorSettings.quotas !== 'defaults')
        args.push(
          '--quotas',
          emulatorSettings.quotas === 'off' ? 'off' : JSON.stringify(emulatorSettings.quotas),
        );
      const proc = spawnTs('emulator', emulatorEntry, args, {});
      procs.push(proc);
      await waitFor(
        'the emulator admin API',
        async () => {
          if (!proc.alive()) throw new Error('emulator exited');
          return (await http('GET', `${emulatorAdminUrl}/healthz`, { timeoutMs: 1_000 })).status === 200;
        },
        { timeoutMs: 30_000, detail: () => proc.tail() },
      );
      return proc;
    };

    // Redis, database, emulator in parallel: the slow parts are tsx start-up and the clone.
    const [redis, cloned, emulator] = await Promise.all([
      startRedis(),
      createTestDatabase(),
      startEmulator(),
    ]);
    db = cloned;
    const theDb = cloned;

    const clientFiles = path.join(emulatorStateDir, 'client');
    const keyFile = path.join(dir, 'vault-keys.json');
    fs.writeFileSync(
      keyFile,
      JSON.stringify({ active: 'e2e1', keys: { e2e1: randomBytes(32).toString('base64') } }),
      { mode: 0o600 },
    );
    const prefix = `e2e-${options.label}-${randomBytes(3).toString('hex')}`;
    // As in production: the processes log in as the application role (a member of claimline_app,
    // no DDL, audit rows append-only); the test's own reads and fixtures use theDb.url.
    const common = {
      DATABASE_URL: theDb.appUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      VAULT_LOCAL_KEYS_FILE: keyFile,
    };
    const workerEnv: Record<string, string> = {
      ...common,
      AWS_IOT_ENDPOINT: '127.0.0.1',
      AWS_IOT_PORT: String(mqttPort),
      AWS_IOT_CA_PATH: path.join(clientFiles, 'AmazonRootCA1.pem'),
      AWS_IOT_CLAIM_CERT_PATH: path.join(clientFiles, 'claim.cert.pem'),
      AWS_IOT_CLAIM_KEY_PATH: path.join(clientFiles, 'claim.private.key'),
      WORKER_TEMPLATES_DIR: path.join(clientFiles, 'templates'),
      // This system's emulator's control plane (never a local run's under the default STATE_DIR).
      CONTROL_PLANE_CLIENT_FILE: path.join(clientFiles, 'control-plane.json'),
      WORKER_HTTP_PORT: '0',
      CLAIM_POOL_SIZE: '4',
      ...options.workerEnv,
    };

    const api = spawnTs('api', apiEntry, [], {
      ...common,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      API_ANON_RATE_LIMIT_PER_MINUTE: '1000000',
      API_STATIONS_SERVE_ANY_BATCH: 'true',
      API_OPS_PORT: String(apiOpsPort),
      API_DEVICE_CA_PATH: path.join(clientFiles, 'AmazonRootCA1.pem'),
    });
    procs.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;

    let workerCount = 0;
    const system: System = {
      dir,
      db: theDb,
      prefix,
      redisUrl,
      apiUrl,
      emulatorAdminUrl,
      emulatorStateDir,
      workers: [],
      api,
      emulator,
      redis,
      startWorker(extraEnv = {}) {
        workerCount += 1;
        const worker = spawnTs(`worker-${workerCount}`, workerEntry, [], { ...workerEnv, ...extraEnv });
        procs.push(worker);
        system.workers.push(worker);
        return worker;
      },
      async restartEmulator(downMs = 1_000) {
        await system.emulator.stop('SIGTERM');
        await sleep(downMs);
        system.emulator = await startEmulator();
      },
      async restartRedis(downMs = 1_000) {
        // SHUTDOWN fsyncs and closes the append-only file; the process then exits.
        spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), 'SHUTDOWN'], {
          encoding: 'utf8',
          timeout: 10_000,
        });
        await Promise.race([system.redis.exited, sleep(10_000)]);
        await system.redis.stop('SIGKILL'); // only if SHUTDOWN did not end it
        await sleep(downMs);
        system.redis = await startRedis();
      },
      async createKey(name, role) {
        const result = await runTsCli(keysCliEntry, ['create', '--name', name, '--role', role], {
          env: { DATABASE_URL: theDb.appUrl, LOG_LEVEL: 'warn' },
        });
        if (result.code !== 0)
          throw new Error(`keys-cli create ${name}: exit ${result.code}: ${result.stderr}`);
        return result.stdout.trim().split('\n').pop()!.trim();
      },
      diagnostics(lines = 30) {
        return procs
          .filter((p) => p.lines.length > 0)
          .map((p) => `${p.name} (pid ${p.pid}, ${p.alive() ? 'running' : 'exited'}):\n${p.tail(lines)}`)
          .join('\n');
      },
      async close() {
        // Workers and API first (SIGKILL: nothing of theirs is asserted any more), then emulator and Redis.
        await Promise.all(
          procs.filter((p) => p.name !== 'redis' && p.name !== 'emulator').map((p) => p.stop('SIGKILL')),
        );
        await Promise.all(procs.map((p) => p.stop('SIGKILL')));
        await theDb.drop().catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };

    for (let i = 0; i < options.workers; i++) system.startWorker();
    await waitFor(
      'the API to be ready (GET /readyz)',
      async () => {
        if (!api.alive()) throw new Error('api exited');
        return (
          (await http('GET', `http://127.0.0.1:${apiOpsPort}/readyz`, { timeoutMs: 2_000 })).status === 200
        );
      },
      { timeoutMs: 45_000, detail: () => system.diagnostics() },
    );
    return system;
  } catch (error) {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await db?.drop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ------------------------------------------------------------------------------------- API shapes

export type BatchView = {
  id: string;
  progress: {
    total: number;
    done: number;
    finished: boolean;
    counts: Record<string, number>;
    orphanedCertificates: number;
    topErrors: { code: string; count: number }[];
  };
};

export type EmulatorCertificate = {
  certificateId: string;
  status: string;
  certificatePem: string;
  thingName?: string;
};
export type EmulatorThing = { thingName: string; certificateIds: string[] };

export async function emulatorRegistry(
  system: System,
): Promise<{ certificates: Map<string, EmulatorCertificate>; things: Map<string, EmulatorThing> }> {
  const certificates = await call<EmulatorCertificate[]>(
    'GET',
    `${system.emulatorAdminUrl}/certificates`,
    200,
    { timeoutMs: 60_000 },
  );
  const things = await call<EmulatorThing[]>('GET', `${system.emulatorAdminUrl}/things`, 200, {
    timeoutMs: 60_000,
  });
  return {
    certificates: new Map(certificates.map((c) => [c.certificateId, c])),
    things: new Map(things.map((t) => [t.thingName, t])),
  };
}

/** Waits until GET /v1/batches/{id} says finished for every batch; prints progress while waiting. */
export async function waitForBatches(
  system: System,
  key: string,
  batchIds: string[],
  timeoutMs: number,
): Promise<BatchView[]> {
  let last: BatchView[] = [];
  return waitFor(
    `batches ${batchIds.join(', ')} to finish`,
    async () => {
      last = await Promise.all(
        batchIds.map((id) => call<BatchView>('GET', `${system.apiUrl}/v1/batches/${id}`, 200, { key })),
      );
      return last.every((b) => b.progress.finished) ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs: 1_000,
      detail: () =>
        `${last.map((b) => `${b.id}: ${JSON.stringify(b.progress.counts)} errors ${JSON.stringify(b.progress.topErrors)}`).join('\n')}\n${system.diagnostics()}`,
    },
  );
}
