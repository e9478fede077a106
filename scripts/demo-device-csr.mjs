// pnpm demo --mode device-csr — a line whose units make their own keys (issue 14). The batch's units
// wait for their CSR; a station asks each fake unit (scripts/fake-unit.mjs) for its CSR, sends it, waits
// for AWS (the emulator) to sign it, and gives the unit its certificate. Each unit then proves that the
// certificate is for the key it kept. No private key exists anywhere but in the units' own folders.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `demo` is what demo.mjs has set up: the batch, a station directory already initialised, and its helpers
 * to call the API and run the station CLI.
 */
export async function playDeviceCsrLine({ root, batchId, serials, stationDir, mesKey, call, runStation }) {
  const fakeUnit = path.join(root, 'scripts/fake-unit.mjs');
  const unitsDir = path.join(stationDir, 'units');
  fs.mkdirSync(unitsDir);
  const waiting = (await call('GET', `/v1/batches/${batchId}`, mesKey)).progress.counts.AWAITING_CSR ?? 0;
  console.log(`${waiting} units wait for their CSR (no job until a station sends it)`);
  const started = Date.now();
  const exit = await runStation(
    [
      'run',
      '--dir',
      stationDir,
      '--csr-command',
      `${process.execPath} ${fakeUnit} csr ${unitsDir} {serial}`,
      '--write-cert-command',
      `${process.execPath} ${fakeUnit} write ${unitsDir} {serial} {cert} {ca} {endpoint} {thingName}`,
    ],
    serials,
  );
  const seconds = (Date.now() - started) / 1000;
  const proven = serials.filter(
    (serial) => spawnSync(process.execPath, [fakeUnit, 'prove', unitsDir, serial]).status === 0,
  ).length;
  const p = (await call('GET', `/v1/batches/${batchId}`, mesKey)).progress;
  console.log(
    [
      '',
      `summary of batch ${batchId} (device-csr)`,
      `  served      : ${p.counts.BURNED ?? 0} of ${p.total} units in ${seconds.toFixed(1)} s (station exit ${exit}; ${(seconds / Math.max(1, serials.length)).toFixed(2)} s per scan)`,
      `  failures    : ${p.topErrors.length ? p.topErrors.map((e) => `${e.code} × ${e.count}`).join(', ') : 'none'}`,
      `  proven      : ${proven} units hold a certificate for the key they never let out (keys in ${unitsDir})`,
      '',
    ].join('\n'),
  );
}
