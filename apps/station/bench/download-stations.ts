import fs from 'node:fs';
import http from 'node:http';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createRequestSigner, type RequestSigner } from '@claimline/station-contract';
import { machineCpuMs, processCpuMs, summarizeLatencies } from '@claimline/test-kit';

/**
 * The stations of the download bench (download.ts) as a process of their own: on a line each station is
 * its own PC, so its request signing must not run on the API's event loop. argv[2] is a JSON file (0600,
 * the bench's fixtures directory) `{onUrl, offUrl, rounds, stations: [{key, signingKeyPem, serials}]}`;
 * the result is printed as one line `stations {json}`: per arm and round p50/p99/max and downloads per
 * second, and GET /healthz under the same load.
 */
export type StationsPlan = {
  onUrl: string;
  offUrl: string;
  rounds: number;
  stations: { key: string; signingKeyPem: string; serials: string[] }[];
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
const signers: RequestSigner[] = plan.stations.map((s) =>
  createRequestSigner(createPrivateKey(s.signingKeyPem), () => randomBytes(18).toString('base64url')),
);

/** One request; with a signer, signed first (inside the timed part: the station pays for it too). */
const get = (url: string, path: string, key?: string, signer?: RequestSigner) =>
  new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const signing = signer ? signer.sign({ method: 'GET', url: `${url}${path}` }) : Promise.resolve({});
    void signing.then((signature) => {
      const req = http.get(
        `${url}${path}`,
        { agent, headers: key ? { Authorization: `Bearer ${key}`, ...signature } : {} },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
    }, reject);
  });

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
      for (const serial of serials)
        samples.push(
          await (signed
            ? get(plan.onUrl, credentials(serial), key, signers[i])
            : get(plan.offUrl, credentials(serial), key)),
        );
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
