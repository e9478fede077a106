// Helpers of docker/container-test.mjs: timed stages and checks, child processes, podman and the
// compose project's containers (podman-compose 1.0.3 names them <project>_<service>_<n> and labels
// them com.docker.compose.*), compose.yaml's health checks run in the containers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { parse } = createRequire(path.join(root, 'packages/config/package.json'))('yaml');
export const compose = parse(fs.readFileSync(path.join(root, 'docker/compose.yaml'), 'utf8'), {
  merge: true,
});
export const project = `claimline-ct-${process.pid}`;
/** The variables compose.yaml substitutes (the test sets them; nothing is read from docker/.env). */
export const composeEnv = {};
const started = Date.now();
export const failures = [];
export const stageTimes = [];
export const elapsed = () => (Date.now() - started) / 1000;

export const log = (line) => console.log(`[${elapsed().toFixed(1).padStart(6)} s] ${line}`);
export function check(ok, what) {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}
let stageName = '';
let stageStarted = 0;
export function stage(name) {
  endStage();
  stageName = name;
  stageStarted = Date.now();
  console.log(`\n== ${name}`);
}
export function endStage() {
  if (!stageName) return;
  const seconds = (Date.now() - stageStarted) / 1000;
  stageTimes.push([stageName, seconds]);
  console.log(`-- ${stageName}: ${seconds.toFixed(1)} s`);
  stageName = '';
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function run(cmd, args, { input, allowFail = false, quiet = false, env } = {}) {
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
export const runAsync = (cmd, args) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
export const podman = (...args) => run('podman', args).stdout.trim();
export const composeArgs = ['-f', 'docker/compose.yaml', '-f', 'docker/compose.standin.yaml', '-p', project];
export const podmanCompose = (...args) => run('podman-compose', [...composeArgs, ...args]);

/** The project's containers of a service, by name (podman-compose names them <project>_<service>_<n>). */
export function containers(service) {
  const all = JSON.parse(
    podman('ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', 'json'),
  );
  return all
    .filter((c) => !service || c.Labels?.['com.docker.compose.service'] === service)
    .map((c) => c.Names[0])
    .sort();
}
export const inspect = (name) => JSON.parse(podman('inspect', name))[0];

/** compose.yaml's health check of a service, run in the container: true when it passes. */
export function healthy(service, container) {
  const test = compose.services[service].healthcheck?.test;
  if (!test) return true;
  const [kind, ...command] = test;
  const args = kind === 'CMD-SHELL' ? ['sh', '-c', command.join(' ')] : command;
  return run('podman', ['exec', container, ...args], { allowFail: true, quiet: true }).status === 0;
}
export async function waitHealthy(service, timeoutMs = 120_000) {
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
export async function waitExited(name, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = inspect(name).State;
    if (state.Status === 'exited') return state.ExitCode;
    await sleep(500);
  }
  return null;
}
export const seconds = (duration) => {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '10s');
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
};
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
export const portFree = (port) =>
  new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
