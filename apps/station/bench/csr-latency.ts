// Scan-to-certificate latency for device-csr units (issue 14): BENCH_STATIONS (5) station CLIs at once,
// each scanning BENCH_PER_STATION (20) fake units one after another, against the API, a worker process
// and the emulator with a 10/s quota on CreateCertificateFromCsr and RegisterThing (the worker's own
// quotas set to match). Per unit: the station's total (scan to confirmed certificate) and its breakdown
// (CSR command, sending the CSR, waiting for the signed certificate, writing it), and the wait split by
// the database's timestamps into queue + CreateCertificateFromCsr (CSR stored → certificate saved) and
// RegisterThing (certificate saved → registered). Target: p95 ≤ 1.5 s. `--json`: one line in the
// contract of scripts/bench.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { percentile } from '@claimline/test-kit';
import { initStation } from '../src/index.js';
import { startHarness, TEST_TEMPLATE } from '../../worker/test/harness.js';
import { registerStation, runCli, serveApi } from '../test/loop-harness.js';

const STATIONS = Number(process.env.BENCH_STATIONS ?? 5);
const PER_STATION = Number(process.env.BENCH_PER_STATION ?? 20);
const TARGET_P95_MS = 1500;
const json = process.argv.includes('--json');
const fakeUnit = path.resolve(__dirname, '../../../scripts/fake-unit.mjs');

const q = (values: number[], quantile: number) =>
  values.length === 0
    ? NaN
    : percentile(
        [...values].sort((a, b) => a - b),
        quantile,
      );

async function main() {
  const h = await startHarness({
    quotas: { createCertificateFromCsrPerSecond: 10, registerThingPerSecond: 10 },
  });
  const loop = await serveApi(h);
  const worker = h.spawnWorker({
    LOG_LEVEL: 'warn',
    WORKER_QUOTA_CREATE_FROM_CSR_PER_SECOND: '10',
    WORKER_QUOTA_REGISTER_THING_PER_SECOND: '10',
  });
  try {
    const batch = await h.prisma.batch.create({
      data: {
        externalRef: 'WO-BENCH-CSR',
        templateName: TEST_TEMPLATE,
        templateParameters: { Line: 'L7' },
        mode: 'DEVICE_CSR',
      },
    });
    const lines = Array.from({ length: STATIONS }, (_, s) =>
      Array.from({ length: PER_STATION }, (_, i) => `BC${s}-${String(i).padStart(4, '0')}`),
    );
    await h.prisma.device.createMany({
      data: lines.flat().map((serial) => ({ serial, batchId: batch.id, state: 'AWAITING_CSR' as const })),
    });
    const unitsDir = path.join(loop.root, 'units');
    fs.mkdirSync(unitsDir);
    const dirs = [];
    for (let s = 0; s < STATIONS; s++) {
      const dir = path.join(loop.root, `bench-${s}`);
      const key = await registerStation(loop as never, `bench-${s}`);
      await initStation({ dir, server: loop.url, serverCa: loop.caFile, key, httpTimeoutMs: 10_000 });
      dirs.push(dir);
    }
    const started = performance.now();
    const results = await Promise.all(
      dirs.map((dir, s) =>
        runCli(
          [
            'run',
            '--dir',
            dir,
            '--csr-command',
            `node ${fakeUnit} csr ${unitsDir} {serial}`,
            '--write-cert-command',
            `node ${fakeUnit} write ${unitsDir} {serial} {cert} {ca} {endpoint} {thingName}`,
          ],
          { stdin: lines[s]!.join('\n') + '\n' },
        ),
      ),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const samples: Record<'total' | 'csr' | 'send' | 'signing' | 'write', number[]> = {
      total: [],
      csr: [],
      send: [],
      signing: [],
      write: [],
    };
    const pattern =
      /^OK +\S+ +certificate written +thing \S+ +(\d+) ms \(csr (\d+) ms, send (\d+) ms, signing (\d+) ms, write (\d+) ms\)/;
    for (const result of results) {
      for (const line of result.stdout.split('\n')) {
        const m = pattern.exec(line);
        if (!m) continue;
        const [total, csr, send, signing, write] = m.slice(1).map(Number) as [
          number,
          number,
          number,
          number,
          number,
        ];
        samples.total.push(total);
        samples.csr.push(csr);
        samples.send.push(send);
        samples.signing.push(signing);
        samples.write.push(write);
      }
    }
    const served = samples.total.length;
    if (served !== STATIONS * PER_STATION)
      throw new Error(`only ${served} units served:\n${results.map((r) => r.stdout + r.stderr).join('\n')}`);
    const split = await h.prisma.$queryRawUnsafe<{ create_ms: number; register_ms: number }[]>(
      `SELECT extract(epoch FROM d.cert_issued_at - d.csr_received_at) * 1000 AS create_ms,
              extract(epoch FROM d.registered_at - d.cert_issued_at) * 1000 AS register_ms
         FROM device d WHERE d.batch_id = $1::uuid`,
      batch.id,
    );
    const createMs = split.map((r) => Number(r.create_ms));
    const registerMs = split.map((r) => Number(r.register_ms));
    // The two AWS calls as the emulator timed them (arrival to answer, quota included).
    const aws = h.emulator.registry.timings();
    const rows: [string, number[]][] = [
      ['scan → certificate confirmed (station total)', samples.total],
      ['  CSR command (fake unit)', samples.csr],
      ['  POST CSR (API: checks, store, enqueue)', samples.send],
      ['  waiting for the certificate (long poll)', samples.signing],
      ['    queue + CreateCertificateFromCsr (DB)', createMs],
      ['      CreateCertificateFromCsr (emulator)', aws.CreateCertificateFromCsr ?? []],
      ['    RegisterThing (DB)', registerMs],
      ['      RegisterThing (emulator)', aws.RegisterThing ?? []],
      ['  write-cert command (fake unit)', samples.write],
    ];
    const p95 = q(samples.total, 0.95);
    if (json) {
      console.log(
        JSON.stringify({
          bench: 'station device-csr scan-to-certificate',
          results: [
            {
              name: 'p95 scan to certificate (ms)',
              value: p95,
              unit: 'ms',
              baseline: null,
              ratio: null,
              target: `≤ ${TARGET_P95_MS}`,
              pass: p95 <= TARGET_P95_MS,
            },
            {
              name: 'p50 scan to certificate (ms)',
              value: q(samples.total, 0.5),
              unit: 'ms',
              baseline: null,
              ratio: null,
              target: null,
              pass: null,
            },
          ],
        }),
      );
    } else {
      console.log(
        `${served} units, ${STATIONS} stations at once, emulator quota 10/s, ${wallSeconds.toFixed(1)} s wall`,
      );
      console.log('step'.padEnd(48), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8));
      for (const [name, values] of rows)
        console.log(
          name.padEnd(48),
          String(Math.round(q(values, 0.5))).padStart(8),
          String(Math.round(q(values, 0.95))).padStart(8),
        );
      console.log(`target p95 ≤ ${TARGET_P95_MS} ms: ${p95 <= TARGET_P95_MS ? 'met' : 'missed'} (${p95} ms)`);
    }
  } finally {
    await worker.stop();
    await loop.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
