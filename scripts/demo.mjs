// pnpm demo — what a production run looks like, against a running `scripts/start.sh`:
//   1. an MES submits a batch (default 500 units) through the REST API,
//   2. a live progress bar follows it until every unit is provisioned,
//   3. a programmer station burns every unit with a fake burner (files copied into "flash images"),
//   4. a summary: units per second, failures by code, orphaned certificates, units burned.
// Options: --units N, --format json|cbor, --mode create-keys|csr|device-csr, --api URL.
// device-csr (units make their own keys; default 20 units) is played by scripts/demo-device-csr.mjs.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { playDeviceCsrLine } from './demo-device-csr.mjs';
import { localTlsPaths } from './local-tls.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    units: { type: 'string' },
    format: { type: 'string', default: 'json' },
    mode: { type: 'string', default: 'create-keys' },
    api: {
      type: 'string',
      default: process.env.CLAIMLINE_API ?? `https://127.0.0.1:${process.env.API_PORT ?? 8080}`,
    },
  },
});
// The local start serves HTTPS with a local CA (scripts/local-tls.mjs): trust it here (fetch reads
// NODE_EXTRA_CA_CERTS at start, so the demo runs itself again with it) and pin it in the station.
const serverCa = localTlsPaths(path.resolve(root, process.env.STATE_DIR ?? '.claimline')).ca;
const useLocalCa = values.api.startsWith('https://') && fs.existsSync(serverCa);
if (useLocalCa && process.env.NODE_EXTRA_CA_CERTS !== serverCa) {
  const again = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: serverCa },
  });
  process.exit(again.status ?? 1);
}
const deviceCsr = values.mode === 'device-csr';
const units = Number(values.units ?? (deviceCsr ? 20 : 500));
const api = values.api.replace(/\/$/, '');
const runId = new Date()
  .toISOString()
  .replace(/[-:T.Z]/g, '')
  .slice(2, 14);
const env = { ...process.env, STATE_DIR: path.resolve(root, process.env.STATE_DIR ?? '.claimline') };

await checkServer();
const mesKey = createKey(`demo-mes-${runId}`, 'MES');
const adminKey = createKey(`demo-admin-${runId}`, 'ADMIN');

// 1. The MES posts the batch.
const serials = Array.from({ length: units }, (_, i) => `DEMO-${runId}-${String(i + 1).padStart(5, '0')}`);
const started = Date.now();
const created = await call('POST', '/v1/batches', mesKey, {
  externalRef: `WO-DEMO-${runId}`,
  templateName: 'claimline-default',
  devices: serials.map((serial) => ({ serial })),
  payloadFormat: values.format,
  mode: values.mode,
});
console.log(`batch ${created.id}: ${created.created} units accepted in ${Date.now() - started} ms`);

if (deviceCsr) {
  const stationDir = await initDemoStation();
  await playDeviceCsrLine({ root, batchId: created.id, serials, stationDir, mesKey, call, runStation });
  process.exit(0);
}

// 2. Live progress until nothing is in flight.
let batch;
for (;;) {
  batch = await call('GET', `/v1/batches/${created.id}`, mesKey);
  const p = batch.progress;
  drawBar(
    p.done,
    p.total,
    `${p.counts.REGISTERED ?? 0} registered, ${(p.counts.FAILED ?? 0) + (p.counts.VERIFY_FAILED ?? 0)} failed, ${(p.throughputPerMinute / 60).toFixed(1)}/s`,
  );
  if (p.finished) break;
  await new Promise((r) => setTimeout(r, 500));
}
const provisionSeconds = (Date.now() - started) / 1000;
process.stdout.write('\n');

// 3. A programmer station burns every provisioned unit.
const stationDir = await initDemoStation();
const flashDir = path.join(stationDir, 'flash');
fs.mkdirSync(flashDir);
const registered = (await allDevices(created.id, mesKey))
  .filter((d) => d.state === 'REGISTERED')
  .map((d) => d.serial);
const burner = path.join(root, 'scripts/fake-burner.mjs');
const burnStarted = Date.now();
const burned = await runStation(
  [
    'run',
    '--dir',
    stationDir,
    '--burn',
    `${process.execPath} ${burner} ${flashDir} {serial} {cert} {key} {ca}`,
  ],
  registered,
);
const burnSeconds = (Date.now() - burnStarted) / 1000;

// 4. Summary.
batch = await call('GET', `/v1/batches/${created.id}`, mesKey);
const p = batch.progress;
console.log(
  [
    '',
    `summary of batch ${created.id}`,
    `  provisioned : ${provisioned(p)} of ${p.total} in ${provisionSeconds.toFixed(1)} s (${(units / provisionSeconds).toFixed(1)} units/s)`,
    `  failures    : ${p.topErrors.length ? p.topErrors.map((e) => `${e.code} × ${e.count}`).join(', ') : 'none'} (${p.counts.FAILED ?? 0} units failed, ${p.counts.VERIFY_FAILED ?? 0} failed their verification connect)`,
    `  orphaned    : ${p.orphanedCertificates} certificate(s) issued but never registered`,
    `  burned      : ${p.counts.BURNED ?? 0} units in ${burnSeconds.toFixed(1)} s (station exit ${burned}), flash images in ${flashDir}`,
    '',
  ].join('\n'),
);

function provisioned(progress) {
  return ['REGISTERED', 'DOWNLOADED', 'BURNED', 'BURN_FAILED'].reduce(
    (n, s) => n + (progress.counts[s] ?? 0),
    0,
  );
}

/** A station registered by the admin and initialised in a temporary directory. */
async function initDemoStation() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-demo-station-'));
  const station = await call('POST', '/v1/stations', adminKey, { name: `demo-line-${runId}`, line: 'demo' });
  station_cli([
    'init',
    '--server',
    api,
    '--key',
    station.apiKey.key,
    '--dir',
    dir,
    ...(useLocalCa ? ['--server-ca', serverCa] : []),
  ]);
  return dir;
}

async function checkServer() {
  try {
    const res = await fetch(`${api}/healthz`);
    if (res.ok) return;
    console.error(`claimline API at ${api} does not answer: ${await res.text()}`);
  } catch {
    console.error(`no claimline API at ${api}: start it first with \`bash scripts/start.sh\``);
  }
  process.exit(1);
}

function createKey(name, role) {
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'apps/api/dist/keys-cli.js'), 'create', '--name', name, '--role', role],
    {
      cwd: root,
      env,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`could not create a ${role} key: ${result.stderr}`);
  return result.stdout.trim();
}

async function call(method, route, key, body) {
  const res = await fetch(`${api}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function allDevices(batchId, key) {
  const devices = [];
  let cursor;
  do {
    const page = await call(
      'GET',
      `/v1/batches/${batchId}/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      key,
    );
    devices.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return devices;
}

function station_cli(args) {
  const result = spawnSync(process.execPath, [path.join(root, 'apps/station/dist/main.js'), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`claimline-station ${args[0]} failed: ${result.stderr || result.stdout}`);
}

/** The station reads serials from standard input, as a barcode scanner types them. */
function runStation(args, serialsToBurn) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'apps/station/dist/main.js'), ...args], {
      cwd: root,
      env,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    child.stdin.end(serialsToBurn.join('\n') + '\n');
    child.on('exit', (code) => resolve(code));
  });
}

function drawBar(done, total, label) {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  process.stdout.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label}   `);
}
