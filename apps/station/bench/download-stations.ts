import fs from 'node:fs';
import http from 'node:http';
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRequestSigner,
  generateSigningKeyPair,
  stationKeySchema,
  verifyBundle,
  type RequestSigner,
} from '@claimline/station-contract';
import { generateStationKeyPair } from '@claimline/station-crypto';
import { machineCpuMs, processCpuMs, summarizeLatencies } from '@claimline/test-kit';

/**
 * The stations of the download bench (download.ts) as a process of their own: on a line each station is
 * its own PC, so its request signing must not run on the API's event loop. Each station enrols as
 * `claimline-station init` does: new seal and signing keys (the default algorithms), uploaded with
 * PUT /v1/station/key, and the server's bundle key from the answer pinned; with signing on, each
 * download's bundle signature is checked against it, as `run` does before a burn. argv[2] is a JSON file
 * (0600, the bench's fixtures directory) `{onUrl, offUrl, rounds, stations: [{key, serials}]}`;
 * the result is printed as one line `stations {json}`: per arm and round p50/p99/max and downloads per
 * second, and GET /healthz under the same load.
 */
export type StationsPlan = {
  onUrl: string;
  offUrl: string;
  rounds: number;
  /** Each station waits this long on average after each download (0: back to back, the API saturated). */
  paceMs: number;
  stations: { key: string; serials: string[] }[];
};
export type RoundStats = {
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  /** Busy CPU of the whole machine (every process, every core) per download, in µs. */
  machineUs: number;
  /** Of which the API's process (the bench's, this one's parent) and the stations' (this process). */
  apiUs: number;
  stationsUs: number;
};
export type StationsResult = {
  on: RoundStats[];
  off: RoundStats[];
  healthz: { p50: number; p99: number; max: number };
};

const plan = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as StationsPlan;
const agent = new http.Agent({ keepAlive: true, maxSockets: plan.stations.length * 4 });
const signingKeys = plan.stations.map(() => generateSigningKeyPair());
const signers: RequestSigner[] = signingKeys.map((pair) =>
  createRequestSigner(pair.privateKey, () => randomBytes(18).toString('base64url')),
);
/** The server's bundle key, pinned at enrolment. */
let bundleKey: KeyObject | undefined;

type Call = { method?: string; path: string; key?: string; signer?: RequestSigner; body?: string };

/** One request and its answer's body; with a signer, signed first (timed: the station pays for it too). */
const request = (url: string, { method = 'GET', path, key, signer, body }: Call) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const signing = signer ? signer.sign({ method, url: `${url}${path}`, body }) : Promise.resolve({});
    void signing.then((signature) => {
      const headers = {
        ...(key ? { Authorization: `Bearer ${key}`, ...signature } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      };
      const req = http.request(`${url}${path}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.on('error', reject);
      req.end(body);
    }, reject);
  });

/**
 * A download as a station makes it: the body parsed in both arms; with signing on, the bundle checked
 * against the pinned server key (inside the timed part: the station cannot burn before).
 */
async function get(url: string, path: string, key?: string, signer?: RequestSigner): Promise<number> {
  const started = performance.now();
  const answer = await request(url, { path, key, signer });
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  if (signer && 'certificatePem' in body) {
    const check = verifyBundle(body, bundleKey!, new Date());
    if (!check.ok) throw new Error(`${path}: ${check.reason}`);
  }
  return performance.now() - started;
}

/** Enrolment as `claimline-station init` makes it: the first keys of a station are active at once. */
async function enrol(key: string, i: number): Promise<KeyObject> {
  const signer = signers[i]!;
  const body = JSON.stringify({
    publicKey: generateStationKeyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signingPublicKey: signingKeys[i]!.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  const answer = await request(plan.onUrl, { method: 'PUT', path: '/v1/station/key', key, signer, body });
  if (answer.status !== 200) throw new Error(`enrolment: ${answer.status} ${answer.text.slice(0, 200)}`);
  return createPublicKey(stationKeySchema.parse(JSON.parse(answer.text)).server.bundleKey);
}

const credentials = (serial: string) => `/v1/station/devices/${serial}/credentials`;

/** One round of one arm: every station downloads its units (a re-download by the same station is allowed). */
async function round(signed: boolean): Promise<RoundStats> {
  const samples: number[] = [];
  const [started, busy, api, own] = [
    performance.now(),
    machineCpuMs().busy,
    processCpuMs(process.ppid),
    process.cpuUsage(),
  ];
  await Promise.all(
    plan.stations.map(async ({ key, serials }, i) => {
      for (const serial of serials) {
        samples.push(
          await (signed
            ? get(plan.onUrl, credentials(serial), key, signers[i])
            : get(plan.offUrl, credentials(serial), key)),
        );
        // Uniform over [0, 2 × pace]: stations on a line are not in step with each other.
        if (plan.paceMs > 0) await sleep(Math.random() * 2 * plan.paceMs);
      }
    }),
  );
  const { p50, p99, max } = summarizeLatencies(samples);
  return {
    p50,
    p99,
    max,
    perSecond: (samples.length / (performance.now() - started)) * 1000,
    machineUs: ((machineCpuMs().busy - busy) * 1000) / samples.length,
    apiUs: ((processCpuMs(process.ppid) - api) * 1000) / samples.length,
    stationsUs: (({ user, system }) => (user + system) / samples.length)(process.cpuUsage(own)),
  };
}

async function main() {
  const { stations } = plan;
  const pinned = await Promise.all(stations.map((s, i) => enrol(s.key, i)));
  bundleKey = pinned[0];
  // Warm-up: connections, prepared statements, JIT (both arms); the downloads' own in the rounds below.
  await Promise.all(stations.map((s, i) => get(plan.onUrl, '/v1/station/batches', s.key, signers[i])));
  await Promise.all(stations.map((s) => get(plan.offUrl, '/v1/station/batches', s.key)));
  for (let i = 0; i < 200; i++) await get(plan.onUrl, '/healthz');
  // One whole unmeasured round of each arm: the first round of a path ran 20-30 % slower (JIT, pools).
  await round(true);
  await round(false);

  const healthz: number[] = [];
  await Promise.all(
    stations.map(async ({ serials }) => {
      for (let i = 0; i < serials.length; i++) healthz.push(await get(plan.onUrl, '/healthz'));
    }),
  );
  const result: StationsResult = { on: [], off: [], healthz: summarizeLatencies(healthz) };
  // The arms interleave; the one that goes first alternates from round to round.
  for (let r = 0; r < plan.rounds; r++)
    for (const signed of r % 2 === 0 ? [true, false] : [false, true])
      (signed ? result.on : result.off).push(await round(signed));
  process.stdout.write(`stations ${JSON.stringify(result)}\n`);
}

main().then(
  () => {
    agent.destroy();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
