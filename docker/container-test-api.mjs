// The API and the station CLI as the container test (docker/container-test.mjs) drives them: API calls
// with a key, keys made with the API image's keys-cli, batches submitted and followed, the station
// service run once per command.
import { composeArgs, containers, log, run, sleep } from './container-test-lib.mjs';

let apiBase = '';
export const setApiBase = (url) => {
  apiBase = url;
};
export async function call(method, route, key, body) {
  const res = await fetch(`${apiBase}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
export function createKey(name, role) {
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
export async function submitBatch(key, label, units) {
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
export async function waitBatch(key, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let batch;
  let reported = Date.now();
  do {
    batch = await call('GET', `/v1/batches/${id}`, key);
    if (batch.progress.finished) break;
    if (Date.now() - reported >= 15_000) {
      reported = Date.now();
      log(`batch ${id}: ${JSON.stringify(batch.progress.counts)}`); // progress, or where it stalls
    }
    await sleep(1000);
  } while (Date.now() < deadline);
  return batch.progress;
}
/** The station CLI in a one-off container of the station service: its output (stdout and stderr). */
export function station(...args) {
  const r = run('podman-compose', [...composeArgs, 'run', '--rm', '-T', '--no-deps', 'station', ...args], {
    allowFail: true,
    quiet: true,
  });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || /exit code: [1-9]/.test(output)) log(`station ${args[0]}:\n${output.slice(-1500)}`);
  return output;
}
export const lastLine = (text) =>
  text
    .trim()
    .split('\n')
    .filter((l) => !/^(podman |exit code)/.test(l))
    .at(-1);
