// pnpm test:containers — docker/ built and run for real with podman (docker/container-test.sh runs it).
// Stages, each timed: build (stand-in bases, then every Dockerfile target), start (compose, in
// compose.yaml's dependency order), healthy (compose.yaml's own health checks, run by this script:
// podman 4.3 runs them only from systemd timers), batch (200 units through the API to REGISTERED,
// the station CLI in its container), stop (SIGTERM through tini while a batch is in flight: every
// process exits 0 within its stop_grace_period), restart (named volumes keep the data; the batch
// in flight completes, no job lost). Removes the containers, network and volumes of its project.
//
// podman-compose 1.0.3 (Debian bookworm) creates the containers, network and volumes from
// compose.yaml + compose.standin.yaml; it implements neither depends_on conditions, health checks,
// profiles nor stop_grace_period, so this script applies those from compose.yaml's values.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { parse } = createRequire(path.join(root, 'packages/config/package.json'))('yaml');
const compose = parse(fs.readFileSync(path.join(root, 'docker/compose.yaml'), 'utf8'), { merge: true });

const project = `claimline-ct-${process.pid}`;
const tag = process.env.CLAIMLINE_TAG ?? 'ct';
const UNITS = 200;
const WORKERS = 3;
const TARGETS = ['api', 'migrate', 'worker', 'emulator', 'station'];
const started = Date.now();
const failures = [];

// ------------------------------------------------------------------------------------------------
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
function check(ok, what) {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}
let stageName = '';
let stageStarted = 0;
const stageTimes = [];
function stage(name) {
  endStage();
  stageName = name;
  stageStarted = Date.now();
  console.log(`\n== ${name}`);
}
function endStage() {
  if (!stageName) return;
  const seconds = (Date.now() - stageStarted) / 1000;
  stageTimes.push([stageName, seconds]);
  console.log(`-- ${stageName}: ${seconds.toFixed(1)} s`);
  stageName = '';
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(cmd, args, { input, allowFail = false, quiet = false, env } = {}) {
  const result = spawnSync(cmd, args, {
    cwd: root,
    input,
    encoding: 'utf8',
    env: { ...process.env, ...composeEnv, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0 && !allowFail) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`.slice(0, 4000),
    );
  }
  if (!quiet && result.status !== 0) log(`(${cmd} ${args[0]} exited ${result.status})`);
  return result;
}
const runAsync = (cmd, args) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
const podman = (...args) => run('podman', args).stdout.trim();
const composeArgs = ['-f', 'docker/compose.yaml', '-f', 'docker/compose.standin.yaml', '-p', project];
const podmanCompose = (...args) => run('podman-compose', [...composeArgs, ...args]);

const secret = crypto.randomBytes(18).toString('base64url');
const composeEnv = {
  POSTGRES_PASSWORD: secret,
  VAULT_LOCAL_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
  CLAIMLINE_TAG: tag,
  WORKERS: '1', // one replica created by compose; the test adds the others (see start)
  LOG_LEVEL: 'info',
};

/** The project's containers of a service, by name (podman-compose names them <project>_<service>_<n>). */
function containers(service) {
  const all = JSON.parse(
    podman('ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', 'json'),
  );
  return all
    .filter((c) => !service || c.Labels?.['com.docker.compose.service'] === service)
    .map((c) => c.Names[0])
    .sort();
}
const inspect = (name) => JSON.parse(podman('inspect', name))[0];

/** compose.yaml's health check of a service, run in the container: true when it passes. */
function healthy(service, container) {
  const test = compose.services[service].healthcheck?.test;
  if (!test) return true;
  const [kind, ...command] = test;
  const args = kind === 'CMD-SHELL' ? ['sh', '-c', command.join(' ')] : command;
  return run('podman', ['exec', container, ...args], { allowFail: true, quiet: true }).status === 0;
}
async function waitHealthy(service, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(containers(service));
  while (pending.size > 0 && Date.now() < deadline) {
    for (const c of [...pending]) if (healthy(service, c)) pending.delete(c);
    if (pending.size > 0) await sleep(1000);
  }
  return check(
    pending.size === 0,
    `${service}: health check passes (${containers(service).length} container(s))`,
  );
}
async function waitExited(name, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = inspect(name).State;
    if (state.Status === 'exited') return state.ExitCode;
    await sleep(500);
  }
  return null;
}
const seconds = (duration) => {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '10s');
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
};

// ------------------------------------------------------------------------------------------------
let apiBase = '';
async function call(method, route, key, body) {
  const res = await fetch(`${apiBase}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
function createKey(name, role) {
  const api = containers('api')[0];
  return run('podman', [
    'exec',
    api,
    'node',
    'dist/keys-cli.js',
    'create',
    '--name',
    name,
    '--role',
    role,
  ]).stdout.trim();
}
async function submitBatch(key, label, units) {
  const serials = Array.from(
    { length: units },
    (_, i) => `CT-${label}-${process.pid}-${String(i + 1).padStart(4, '0')}`,
  );
  return call('POST', '/v1/batches', key, {
    externalRef: `WO-CT-${label}-${process.pid}`,
    templateName: 'claimline-default',
    devices: serials.map((serial) => ({ serial })),
    payloadFormat: 'json',
    mode: 'create-keys',
  });
}
async function waitBatch(key, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let batch;
  do {
    batch = await call('GET', `/v1/batches/${id}`, key);
    if (batch.progress.finished) break;
    await sleep(1000);
  } while (Date.now() < deadline);
  return batch.progress;
}
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
const portFree = (port) =>
  new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

// ------------------------------------------------------------------------------------------------
async function main() {
  stage('build: stand-in base images, then every Dockerfile target');
  // CONTAINER_TEST_SKIP_BUILD=1: the images of an earlier run (localhost/claimline/<target>:<tag>).
  const skipBuild = process.env.CONTAINER_TEST_SKIP_BUILD === '1';
  if (!skipBuild) run('bash', ['docker/local-images.sh'], { quiet: false });
  const sizes = {};
  for (const target of skipBuild ? [] : TARGETS) {
    const t0 = Date.now();
    run('nice', [
      '-n',
      '10',
      'podman',
      'build',
      '--quiet',
      '--layers',
      '--format', // docker, not OCI: OCI images drop HEALTHCHECK
      'docker',
      '-f',
      'docker/Dockerfile',
      '--ignorefile',
      'docker/Dockerfile.dockerignore',
      '--target',
      target,
      '--build-arg',
      'NODE_IMAGE=localhost/claimline-standin/node:24-bookworm-slim',
      '-t',
      `localhost/claimline/${target}:${tag}`,
      '.',
    ]);
    sizes[target] = Number(
      podman('image', 'inspect', '--format', '{{.Size}}', `localhost/claimline/${target}:${tag}`),
    );
    log(
      `built claimline/${target}:${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${(sizes[target] / 1e6).toFixed(0)} MB`,
    );
  }
  endStage();

  stage('start: compose up in dependency order (podman-compose, no pulls, no builds)');
  for (const port of [8883, 8885])
    if (!(await portFree(port)))
      throw new Error(`127.0.0.1:${port} is taken (compose publishes the emulator there)`);
  const apiPort = await freePort();
  composeEnv.API_PUBLISH = `127.0.0.1:${apiPort}`;
  apiBase = `http://127.0.0.1:${apiPort}`;
  // podman-compose 1.0.3 implements no depends_on condition and its `up SERVICE` also starts every
  // dependency's existing container again (the migration would run twice): it only CREATES the
  // project here (network, named volumes, one container per service: WORKERS=1 sets compose.yaml's
  // deploy.replicas), and this script starts them in compose.yaml's order with its conditions.
  podmanCompose('up', '-d', '--no-build', '--no-start');
  const start = (service) => podman('start', ...containers(service));
  for (const service of ['postgres', 'redis', 'emulator']) start(service);
  await waitHealthy('postgres');
  await waitHealthy('redis');
  await waitHealthy('emulator');
  start('migrate');
  const migrate = containers('migrate')[0];
  check((await waitExited(migrate)) === 0, 'migrate: ran once and exited 0');
  start('api');
  start('worker');
  // The other replicas: podman-compose 1.0.3 ignores --scale and, for deploy.replicas > 1, pops the
  // first element of the shared health-check list once per replica ("unknown healthcheck test
  // type" at the second). `run -d --no-deps` creates each from the same service definition
  // (environment, volumes, network alias, restart policy, health check) with its own hostname.
  for (let n = containers('worker').length + 1; n <= WORKERS; n++)
    podmanCompose('run', '-d', '-T', '--no-deps', '--name', `${project}_worker_${n}`, 'worker');
  check(containers('api').length === 1, 'api: one container');
  endStage();

  stage('healthy: compose.yaml health checks, start order');
  await waitHealthy('api');
  await waitHealthy('worker');
  check(containers('worker').length === WORKERS, `worker: ${WORKERS} replicas`);
  check(containers('migrate').length === 1, 'migrate: one container');
  const migrateFinished = Date.parse(inspect(migrate).State.FinishedAt);
  const startedAfter = (names, t) => names.every((n) => Date.parse(inspect(n).State.StartedAt) >= t);
  check(
    startedAfter([...containers('api'), ...containers('worker')], migrateFinished),
    'api and workers started after migrate exited',
  );
  for (const service of ['api', 'worker', 'emulator']) {
    const c = containers(service)[0];
    const pid1 = podman('exec', c, 'cat', '/proc/1/cmdline').split('\0')[0];
    const user = podman('exec', c, 'id', '-u');
    check(pid1 === '/usr/bin/tini' && user === '10001', `${service}: PID 1 is ${pid1}, user ${user}`);
  }
  const emulatorOwner = podman(
    'exec',
    containers('emulator')[0],
    'stat',
    '-c',
    '%u',
    '/var/lib/claimline/emulator',
  );
  check(emulatorOwner === '10001', `emulator-state volume: written by user ${emulatorOwner}`);
  endStage();

  stage(`batch: ${UNITS} units through the API to REGISTERED; the station CLI in its container`);
  const mesKey = createKey(`ct-mes-${process.pid}`, 'MES');
  const adminKey = createKey(`ct-admin-${process.pid}`, 'ADMIN');
  const batch1 = await submitBatch(mesKey, 'A', UNITS);
  check(
    batch1.created === UNITS && batch1.enqueued === UNITS,
    `batch A: ${batch1.created} created, ${batch1.enqueued} enqueued`,
  );
  const progress1 = await waitBatch(mesKey, batch1.id, 240_000);
  check(progress1.counts.REGISTERED === UNITS, `batch A: ${JSON.stringify(progress1.counts)}`);
  const help = podmanCompose('run', '--rm', '-T', '--no-deps', 'station', '--help').stdout;
  check(help.includes('claimline-station'), 'station: --help in its container');
  const station = await call('POST', '/v1/stations', adminKey, {
    name: `ct-line-${process.pid}`,
    line: 'ct',
  });
  podmanCompose(
    'run',
    '--rm',
    '-T',
    '--no-deps',
    'station',
    'init',
    '--server',
    'http://api:8080',
    '--key',
    station.apiKey.key,
  );
  const prefetch = podmanCompose(
    'run',
    '--rm',
    '-T',
    '--no-deps',
    'station',
    'prefetch',
    '--batch',
    batch1.id,
  ).stdout;
  check(
    prefetch.includes(`prefetched ${UNITS} unit(s)`),
    `station: one download (${prefetch.trim().split('\n').at(-1)})`,
  );
  endStage();

  stage('stop: SIGTERM through tini with a batch in flight; every process exits 0 within its grace period');
  const batch2 = await submitBatch(mesKey, 'B', 100);
  for (let i = 0; i < 60; i++) {
    const p = (await call('GET', `/v1/batches/${batch2.id}`, mesKey)).progress;
    if ((p.counts.REGISTERED ?? 0) >= 10) break;
    await sleep(500);
  }
  const before = (await call('GET', `/v1/batches/${batch2.id}`, mesKey)).progress;
  log(`batch B when the stop begins: ${JSON.stringify(before.counts)}`);
  // compose's stop order: dependents first (api, workers), then the emulator, then Redis and Postgres.
  for (const tier of [['api', 'worker'], ['emulator'], ['redis', 'postgres']]) {
    const stops = tier.flatMap((service) =>
      containers(service).map(async (c) => {
        const grace = seconds(compose.services[service].stop_grace_period);
        const t0 = Date.now();
        await runAsync('podman', ['stop', '--time', String(grace), c]);
        return { c, grace, t0 };
      }),
    );
    for (const { c, grace, t0 } of await Promise.all(stops)) {
      const state = inspect(c).State;
      const took = (Date.parse(state.FinishedAt) - t0) / 1000;
      check(
        state.ExitCode === 0 && took < grace,
        `${c}: exit ${state.ExitCode} after ${took.toFixed(1)} s (grace ${grace} s)`,
      );
    }
  }
  endStage();

  stage('restart: the same containers and named volumes; no data or job lost');
  podman('start', ...containers('postgres'), ...containers('redis'), ...containers('emulator'));
  await waitHealthy('postgres');
  await waitHealthy('redis');
  await waitHealthy('emulator');
  podman('start', ...containers('api'), ...containers('worker'));
  await waitHealthy('api');
  await waitHealthy('worker');
  const progress2 = await waitBatch(mesKey, batch2.id, 240_000);
  check(
    progress2.counts.REGISTERED === 100,
    `batch B after the restart: ${JSON.stringify(progress2.counts)} (no job lost)`,
  );
  const again = (await call('GET', `/v1/batches/${batch1.id}`, mesKey)).progress;
  check(
    again.counts.DOWNLOADED === UNITS ||
      (again.counts.REGISTERED ?? 0) + (again.counts.DOWNLOADED ?? 0) === UNITS,
    `batch A kept: ${JSON.stringify(again.counts)}`,
  );
  const status = podmanCompose('run', '--rm', '-T', '--no-deps', 'station', 'status').stdout;
  check(status.includes(String(UNITS)), 'station-data volume kept the station and its offline store');
  endStage();
  return sizes;
}

function cleanup() {
  run('podman-compose', [...composeArgs, 'down', '-v', '-t', '5'], { allowFail: true, quiet: true });
  // podman-compose 1.0.3 leaves `run` containers, the network and volumes behind: remove by label.
  for (const c of containers()) run('podman', ['rm', '-f', c], { allowFail: true, quiet: true });
  const volumes = podman('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`)
    .split('\n')
    .filter(Boolean);
  if (volumes.length) run('podman', ['volume', 'rm', '-f', ...volumes], { allowFail: true, quiet: true });
  run('podman', ['network', 'rm', '-f', `${project}_default`], { allowFail: true, quiet: true });
}

let sizes = {};
try {
  sizes = await main();
} catch (error) {
  endStage();
  failures.push(String(error.message ?? error));
  console.error(`container test: ${error.stack ?? error}`);
  for (const c of containers()) {
    const out = run('podman', ['logs', '--tail', '15', c], { allowFail: true, quiet: true });
    console.error(`--- ${c}\n${out.stdout}${out.stderr}`);
  }
} finally {
  stage('cleanup: the project containers, network and volumes (images stay as the layer cache)');
  cleanup();
  endStage();
}
console.log(
  `\nimage sizes: ${Object.entries(sizes)
    .map(([t, s]) => `${t} ${(s / 1e6).toFixed(0)} MB`)
    .join(', ')}`,
);
console.log(`stage times: ${stageTimes.map(([n, s]) => `${n.split(':')[0]} ${s.toFixed(0)} s`).join(', ')}`);
console.log(
  `container test: ${failures.length === 0 ? 'passed' : `FAILED (${failures.length}): ${failures.join('; ')}`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(failures.length === 0 ? 0 : 1);
