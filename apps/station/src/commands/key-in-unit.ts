import fs from 'node:fs';
import path from 'node:path';
import type { X509Certificate } from 'node:crypto';
import type { Credentials } from '../api-client.js';
import { runBurn, substitute, type BurnResult } from '../burn.js';
import { wipeDir } from '../files.js';
import { ensurePrivateDir } from '../station-dir.js';
import type { StationContext } from '../station-context.js';
import { StationError } from '../station-error.js';
import { csrPublicKeyDigest, runCsrCommand, verifyDeviceKeyBundle, type DeviceKeyUnit } from '../unit-csr.js';

/** The commands of a line whose units make their own keys (device-csr batches). */
export type KeyInUnitCommands = {
  /** argv of `--csr-command` ({serial}); prints the unit's CSR. */
  csr: string[];
  /** argv of `--write-cert-command` ({cert} {ca} {serial} {thingName} {endpoint}). */
  writeCert: string[];
  timeoutMs: number;
  /** How long to wait for AWS to sign, in all. */
  certificateWaitMs: number;
  deviceIssuerCas?: X509Certificate[];
  thingName?: string;
};

/** Where the time of one unit went (the scan-to-certificate breakdown). */
export type KeyInUnitTimings = { csrMs: number; submitMs: number; waitMs: number; writeMs: number };

/** One long-poll request waits at most this long; the whole wait is `certificateWaitMs`. */
const LONG_POLL_SECONDS = 20;

const since = (start: number) => Math.round(performance.now() - start);

/**
 * A unit of a device-csr batch: ask it for its CSR (`--csr-command`), send the CSR signed, wait (bounded
 * long poll) for its certificate, check it (bundle signature, certificate id, public key = the CSR's),
 * and give the unit its certificate, CA and endpoint (`--write-cert-command`). `first` is the download's
 * answer: 'awaiting' when the unit still waits for its CSR, or its certificate when a CSR was sent
 * earlier (the unit is asked again for its CSR, to learn the key the certificate must carry).
 */
export async function serveKeyInUnit(
  ctx: StationContext,
  commands: KeyInUnitCommands,
  serial: string,
  first: Credentials | 'awaiting',
): Promise<{ unit: DeviceKeyUnit; result: BurnResult; timings: KeyInUnitTimings }> {
  const timings: KeyInUnitTimings = { csrMs: 0, submitMs: 0, waitMs: 0, writeMs: 0 };
  let start = performance.now();
  const csrPem = await runCsrCommand(substitute(commands.csr, { serial }), commands.timeoutMs);
  timings.csrMs = since(start);
  const keyDigest = csrPublicKeyDigest(csrPem);
  let creds: Credentials;
  if (first === 'awaiting') {
    start = performance.now();
    await ctx.client.submitCsr(serial, csrPem);
    timings.submitMs = since(start);
    start = performance.now();
    creds = await awaitCertificate(ctx, serial, commands.certificateWaitMs);
    timings.waitMs = since(start);
  } else {
    creds = first;
  }
  const unit = verifyDeviceKeyBundle(
    creds,
    serial,
    keyDigest,
    ctx.settings.stationId,
    { bundleKey: ctx.bundleKey, endpoint: ctx.settings.deviceEndpoint, caPem: ctx.settings.deviceCaPem },
    {
      ...(commands.deviceIssuerCas ? { deviceIssuerCas: commands.deviceIssuerCas } : {}),
      ...(commands.thingName ? { thingNamePattern: commands.thingName } : {}),
    },
  );
  start = performance.now();
  const result = await writeCertificate(ctx, commands, unit);
  timings.writeMs = since(start);
  return { unit, result, timings };
}

/** Long polls until the certificate is there, a refusal comes (e.g. FAILED with AWS's code), or time is up. */
async function awaitCertificate(ctx: StationContext, serial: string, totalMs: number): Promise<Credentials> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    try {
      return await ctx.client.credentials(serial, Math.max(1, Math.min(LONG_POLL_SECONDS, left)));
    } catch (error) {
      const pending = error instanceof StationError && error.code === 'NOT_PROVISIONED';
      if (!pending) throw error;
      if (Date.now() >= deadline)
        throw new StationError(
          'CERTIFICATE_TIMEOUT',
          `no certificate for unit ${serial} after ${Math.round(totalMs / 1000)} s: scan it again later (its CSR is stored)`,
        );
    }
  }
}

/** Certificate and CA in a fresh 0700 directory for the write command, wiped whatever happens. */
async function writeCertificate(
  ctx: StationContext,
  commands: KeyInUnitCommands,
  unit: DeviceKeyUnit,
): Promise<BurnResult> {
  ensurePrivateDir(ctx.paths.work);
  const dir = fs.mkdtempSync(path.join(ctx.paths.work, 'cert-'));
  try {
    const files = { cert: path.join(dir, 'certificate.pem'), ca: path.join(dir, 'ca.pem') };
    fs.writeFileSync(files.cert, unit.certificatePem, { mode: 0o600 });
    fs.writeFileSync(files.ca, unit.caPem, { mode: 0o600 });
    const argv = substitute(commands.writeCert, {
      ...files,
      serial: unit.serial,
      thingName: unit.thingName,
      endpoint: unit.endpoint,
    });
    return await runBurn(argv, commands.timeoutMs);
  } finally {
    wipeDir(dir);
  }
}
