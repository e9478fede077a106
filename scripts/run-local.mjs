// Runs claimline on its embedded defaults in one terminal: the AWS IoT emulator, the API and N
// worker processes (CLAIMLINE_WORKERS, default 2) against local PostgreSQL and Redis, with one
// readable log stream. Ctrl-C (SIGINT) or SIGTERM stops every process gracefully.
// Called by scripts/start.sh after setup (install, build, migrate).
import { spawn, spawnSync } from 'node:child_process';
import { ensureLocalTls } from './local-tls.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.resolve(root, process.env.STATE_DIR ?? '.claimline');
const workers = Number(process.env.CLAIMLINE_WORKERS ?? 2);
const apiPort = Number(process.env.API_PORT ?? 8080);

fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });

// A local key-encryption key for the vault, created once (0600) unless one is configured.
const vaultEnv = {};
if (
  !process.env.VAULT_LOCAL_KEYS &&
  !process.env.VAULT_LOCAL_KEYS_FILE &&
  process.env.VAULT_PROVIDER !== 'aws-kms'
) {
  const keyFile = path.join(stateDir, 'vault-keys.json');
  const { ensureLocalKeyFile } = await import(path.join(root, 'packages/vault/dist/index.js'));
  if (ensureLocalKeyFile(keyFile).created)
    console.log(`claimline: created a local vault key at ${keyFile} (back it up)`);
  vaultEnv.VAULT_LOCAL_KEYS_FILE = keyFile;
}

const baseEnv = { ...process.env, STATE_DIR: stateDir, ...vaultEnv };

printKeysOnFirstStart();

let stopping = false;
const children = [];

// AWS issues RSA-2048 keys; locally the emulator issues EC P-256 keys unless told otherwise, because
// RSA generation (~135 ms of CPU a key) would make the demo a benchmark of key generation.
// The emulator is children[0]: stop() ends it last.
start('emulator', 'apps/emulator/dist/main.js', {
  EMULATOR_KEY_ALGORITHM: process.env.EMULATOR_KEY_ALGORITHM ?? 'ec-p256',
});
await waitForFile(path.join(stateDir, 'emulator/client/endpoint.json'), 30_000);
// A station burning as fast as the demo does makes two calls a unit: allow more than the default.
// HTTPS by default, with a generated local CA (stations pin it: init --server-ca .claimline/tls/ca.pem).
const tls = process.env.API_TLS_CERT_PATH ? undefined : ensureLocalTls(stateDir);
const apiUrl = `${process.env.API_TLS_CERT_PATH || tls ? 'https' : 'http'}://127.0.0.1:${apiPort}`;
start('api', 'apps/api/dist/main.js', {
  // The heap bounds of the API image (docker/Dockerfile): a streamed upload stays under 200 MB RSS.
  NODE_OPTIONS: '--max-old-space-size=384 --max-semi-space-size=8',
  API_PORT: String(apiPort),
  ...(tls ? { API_TLS_CERT_PATH: tls.cert, API_TLS_KEY_PATH: tls.key } : {}),
  API_RATE_LIMIT_PER_MINUTE: process.env.API_RATE_LIMIT_PER_MINUTE ?? '6000',
  // One local line, one demo station: it may serve batches assigned to no station (off by default).
  API_STATIONS_SERVE_ANY_BATCH: process.env.API_STATIONS_SERVE_ANY_BATCH ?? 'true',
});
for (let i = 1; i <= workers; i++) {
  start(`worker-${i}`, 'apps/worker/dist/main.js', {
    WORKER_HTTP_PORT: String(9463 + i),
    // The local line proves every unit can connect as its thing before a station burns it.
    WORKER_VERIFY_CONNECT: process.env.WORKER_VERIFY_CONNECT ?? 'true',
  });
}

console.log(
  [
    '',
    `claimline is running: API ${apiUrl}${tls ? ` (local CA ${path.relative(root, tls.ca)})` : ''} (docs at /docs, dashboard at /admin/queues),`,
    `${workers} worker(s) (metrics on :9464…), emulator mqtts://127.0.0.1:8883 (state in ${path.relative(root, stateDir)}/emulator).`,
    'Try it: `pnpm demo` in another terminal. Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function start(name, entry, env) {
  const child = spawn(process.execPath, [path.join(root, entry)], {
    cwd: root,
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) relayLines(stream, name);
  child.on('exit', (code, signal) => {
    printLine(name, `exited (${signal ?? code})`);
    if (!stopping) stop(code || 1);
  });
  return child;
}

function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  console.log('claimline: stopping (workers finish the jobs in flight)…');
  // Workers and the API first, the emulator last, so that in-flight flows can finish.
  const others = children.filter((c) => c !== children[0]);
  const alive = (c) => c.exitCode === null && c.signalCode === null;
  const exited = (c) => (alive(c) ? new Promise((r) => c.on('exit', r)) : null);
  others.forEach((c) => alive(c) && c.kill('SIGTERM'));
  const force = setTimeout(() => children.forEach((c) => alive(c) && c.kill('SIGKILL')), 40_000);
  Promise.all(others.map(exited))
    .then(() => {
      if (children[0] && alive(children[0])) children[0].kill('SIGTERM');
      return exited(children[0]);
    })
    .then(() => {
      clearTimeout(force);
      process.exit(exitCode);
    });
}

function relayLines(stream, name) {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) printLine(name, formatLog(line));
  });
}

function printLine(name, text) {
  process.stdout.write(`${name.padEnd(9)}| ${text}\n`);
}

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** pino's JSON lines made readable: time, level, message, then the remaining fields. */
function formatLog(line) {
  if (!line.startsWith('{')) return line;
  try {
    const { time, level, msg, pid: _pid, hostname: _host, name: _name, ...rest } = JSON.parse(line);
    const clock = new Date(time ?? Date.now()).toISOString().slice(11, 19);
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${clock} ${LEVELS[level] ?? level} ${msg ?? ''}${extra}`;
  } catch {
    return line;
  }
}

/** A first admin key and a demo MES key, printed once: on the first start, when no key exists yet. */
function printKeysOnFirstStart() {
  const keysCli = path.join(root, 'apps/api/dist/keys-cli.js');
  const list = spawnSync(process.execPath, [keysCli, 'list'], { cwd: root, env: baseEnv, encoding: 'utf8' });
  if (list.status !== 0) {
    console.error(list.stderr);
    process.exit(1);
  }
  if (list.stdout.trim() !== '') {
    console.log(
      'claimline: API keys exist already (they are shown only when created); `node apps/api/dist/keys-cli.js --help`.',
    );
    return;
  }
  const create = (name, role) => {
    const result = spawnSync(process.execPath, [keysCli, 'create', '--name', name, '--role', role], {
      cwd: root,
      env: baseEnv,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return result.stdout.trim();
  };
  const admin = create('first-admin', 'ADMIN');
  const mes = create('demo-mes', 'MES');
  console.log(
    [
      '',
      'claimline: first start — these keys are shown only now; keep them somewhere safe:',
      `  admin key:    ${admin}`,
      `  demo MES key: ${mes}`,
      '',
    ].join('\n'),
  );
}

async function waitForFile(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline || stopping) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
