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
import crypto from 'node:crypto';
import {
  check,
  compose,
  composeEnv,
  containers,
  endStage,
  failures,
  freePort,
  inspect,
  log,
  podman,
  podmanCompose,
  portFree,
  project,
  run,
  runAsync,
  seconds,
  sleep,
  stage,
  stageTimes,
  waitExited,
  waitHealthy,
} from './container-test-lib.mjs';
import {
  call,
  createKey,
  lastLine,
  setApiBase,
  station,
  submitBatch,
  waitBatch,
} from './container-test-api.mjs';

const tag = process.env.CLAIMLINE_TAG ?? 'ct';
const UNITS = 200;
const WORKERS = 3;
const TARGETS = ['api', 'migrate', 'worker', 'emulator', 'station'];
const started = Date.now();

const secret = crypto.randomBytes(18).toString('base64url');
Object.assign(composeEnv, {
  POSTGRES_PASSWORD: secret,
  POSTGRES_APP_PASSWORD: crypto.randomBytes(18).toString('base64url'),
  VAULT_LOCAL_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
  CLAIMLINE_TAG: tag,
  WORKERS: '1', // one replica created by compose; the test adds the others (see start)
  LOG_LEVEL: 'info',
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
  setApiBase(`http://127.0.0.1:${apiPort}`);
  // podman-compose 1.0.3 implements no depends_on condition and its `up SERVICE` also starts every
  // dependency's existing container again (the migration would run twice): it only CREATES the
  // project here (network, named volumes, one container per service: WORKERS=1 sets compose.yaml's
  // deploy.replicas), and this script starts them in compose.yaml's order with its conditions.
  podmanCompose('up', '--no-build', '--no-start'); // not -d: 1.0.3 passes it to `podman create`
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
  // Issue 15: the API and the workers are connected as the application role, not as the owner.
  const sessions = podman(
    'exec',
    containers('postgres')[0],
    'psql',
    '-U',
    'claimline',
    '-d',
    'claimline',
    '-Atc',
    `SELECT string_agg(DISTINCT usename || ':' || r.rolsuper, ',') FROM pg_stat_activity a
       JOIN pg_roles r ON r.rolname = a.usename WHERE a.datname = 'claimline' AND a.pid <> pg_backend_pid()`,
  );
  check(sessions === 'claimline_runtime:false', `database sessions of the api and workers: ${sessions}`);
  const emulatorOwner = podman(
    'exec',
    containers('emulator')[0],
    'stat',
    '-c',
    '%u',
    '/var/lib/claimline/emulator',
  );
  check(emulatorOwner === '10001', `emulator-state volume: written by user ${emulatorOwner}`);
  // The emulator's control plane, reached by its service name (compose.yaml's CONTROL_PLANE_*).
  for (const [service, line] of [
    ['api', 'control plane: reconcile'],
    ['worker', 'control plane: resolves lost answers'],
  ]) {
    const logs = run('podman', ['logs', containers(service)[0]], { quiet: true });
    check(`${logs.stdout}${logs.stderr}`.includes(line), `${service}: "${line}" in its log`);
  }
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
  check(station('--help').includes('claimline-station'), 'station: --help in its container');
  const stationName = `ct-line-${process.pid}`;
  const created = await call('POST', '/v1/stations', adminKey, { name: stationName, line: 'ct' });
  // Stations serve only the batches an admin assigned to them.
  await call('POST', `/v1/batches/${batch1.id}/stations`, adminKey, { stations: [stationName] });
  // Plain HTTP on the compose network: --insecure-http (a test bench; production stations use https://).
  const init = station('init', '--server', 'http://api:8080', '--key', created.apiKey.key, '--insecure-http');
  check(init.includes('set up in'), `station: init in its container (${lastLine(init)})`);
  const prefetch = station('prefetch', '--batch', batch1.id, '--insecure-http');
  check(prefetch.includes(`prefetched ${UNITS} unit(s)`), `station: one download (${lastLine(prefetch)})`);
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
  const status = station('status', '--insecure-http');
  check(
    status.includes(`offline store: ${UNITS} unit(s)`),
    `station-data volume kept the station and its offline store (${lastLine(status)})`,
  );
  endStage();
  return sizes;
}

function cleanup() {
  // By the project's label, not `podman-compose down` (1.0.3 misses the containers `run` made): the
  // stop was tested above, so no grace period here.
  const all = containers();
  if (all.length) run('podman', ['rm', '-f', '-t', '0', ...all], { allowFail: true, quiet: true });
  const volumes = podman('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`)
    .split('\n')
    .filter(Boolean);
  if (volumes.length) run('podman', ['volume', 'rm', '-f', ...volumes], { allowFail: true, quiet: true });
  run('podman', ['network', 'rm', '-f', `${project}_default`], { allowFail: true, quiet: true });
  const left = containers().length;
  check(left === 0, `cleanup: ${left} container(s) of the project left`);
}

let sizes = {};
try {
  sizes = await main();
} catch (error) {
  endStage();
  failures.push(String(error.message ?? error));
  console.error(`container test: ${error.stack ?? error}`);
  for (const c of containers()) {
    const out = run('podman', ['logs', '--tail', '40', c], { allowFail: true, quiet: true });
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
