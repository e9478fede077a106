import type { KeyObject, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ConfirmBody, Credentials } from '../api-client.js';
import { runBurn, parseBurnCommand, substitute, type BurnResult } from '../burn.js';
import { wipeDir } from '../files.js';
import { appendJournal } from '../journal.js';
import { loadOffline, preHpkeEntries, removeOffline } from '../offline-store.js';
import { ensurePrivateDir } from '../station-dir.js';
import { loadPrivateKey, openStation, type CommonOptions, type StationContext } from '../station-context.js';
import { StationError } from '../station-error.js';
import { openAndVerify, readDeviceIssuerCas } from '../verify.js';
import { serveKeyInUnit, type KeyInUnitCommands } from './key-in-unit.js';

export type RunOptions = CommonOptions & {
  /** Burn command for units whose key comes from the server (create-keys, csr batches). */
  burn?: string;
  /** Units that make their own key (device-csr batches): ask the unit for its CSR; write its certificate. */
  csrCommand?: string;
  writeCertCommand?: string;
  /** How long to wait for AWS to sign a unit's CSR, in all. */
  certificateWaitMs?: number;
  offline?: boolean;
  burnTimeoutMs: number;
  /** File of the CA that issues device certificates; pinned when given. */
  deviceIssuerCa?: string;
  thingName?: string;
  input?: Readable;
  output?: Writable;
};

type Tally = { ok: number; failed: number; errors: number };

const DEFAULT_CERTIFICATE_WAIT_MS = 60_000;

/** The device-csr commands, checked at start: both or neither, and never offline. */
function keyInUnitCommands(
  options: RunOptions,
  deviceIssuerCas: X509Certificate[] | undefined,
): KeyInUnitCommands | undefined {
  const { csrCommand, writeCertCommand } = options;
  if (!csrCommand && !writeCertCommand) {
    if (!options.burn)
      throw new StationError('REJECTED', 'give --burn, or --csr-command with --write-cert-command');
    return undefined;
  }
  if (options.offline)
    throw new StationError(
      'OFFLINE_REFUSED',
      'units that make their own key (--csr-command) cannot be served offline: the unit must be at the station while AWS signs its CSR; run without --offline',
    );
  if (!csrCommand || !writeCertCommand)
    throw new StationError('REJECTED', '--csr-command and --write-cert-command go together');
  return {
    csr: parseBurnCommand(csrCommand, 'the CSR command', ['serial']),
    writeCert: parseBurnCommand(writeCertCommand, 'the write-cert command', [
      'cert',
      'ca',
      'serial',
      'thingName',
      'endpoint',
    ]),
    timeoutMs: options.burnTimeoutMs,
    certificateWaitMs: options.certificateWaitMs ?? DEFAULT_CERTIFICATE_WAIT_MS,
    ...(deviceIssuerCas ? { deviceIssuerCas } : {}),
    ...(options.thingName ? { thingName: options.thingName } : {}),
  };
}

/** The download; a unit waiting for its CSR is 'awaiting' when this station serves such units. */
async function download(
  ctx: StationContext,
  serial: string,
  keyInUnit: KeyInUnitCommands | undefined,
): Promise<Credentials | 'awaiting'> {
  try {
    return await ctx.client.credentials(serial);
  } catch (error) {
    if (keyInUnit && error instanceof StationError && error.code === 'AWAITING_CSR') return 'awaiting';
    throw error;
  }
}

/** Writes cert/key/ca to a fresh 0700 directory, runs the burn, and wipes the directory whatever happens. */
async function burnUnit(
  ctx: StationContext,
  stationKey: KeyObject,
  options: RunOptions,
  argvTemplate: string[],
  creds: Credentials,
  serial: string,
  deviceIssuerCas: X509Certificate[] | undefined,
) {
  const pins = {
    bundleKey: ctx.bundleKey,
    endpoint: ctx.settings.deviceEndpoint,
    caPem: ctx.settings.deviceCaPem,
  };
  const unit = await openAndVerify(creds, serial, stationKey, ctx.settings.stationId, pins, {
    ...(deviceIssuerCas ? { deviceIssuerCas } : {}),
    ...(options.thingName ? { thingNamePattern: options.thingName } : {}),
  });
  ensurePrivateDir(ctx.paths.work);
  const dir = fs.mkdtempSync(path.join(ctx.paths.work, 'burn-'));
  try {
    const files = {
      cert: path.join(dir, 'certificate.pem'),
      key: path.join(dir, 'private.key'),
      ca: path.join(dir, 'ca.pem'),
    };
    fs.writeFileSync(files.cert, unit.certificatePem, { mode: 0o600 });
    fs.writeFileSync(files.key, unit.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(files.ca, unit.caPem, { mode: 0o600 });
    unit.privateKeyPem.fill(0);
    const argv = substitute(argvTemplate, {
      ...files,
      serial,
      thingName: unit.thingName,
      endpoint: unit.endpoint,
    });
    return { unit, result: await runBurn(argv, options.burnTimeoutMs) };
  } finally {
    unit.privateKeyPem.fill(0);
    wipeDir(dir);
  }
}

async function confirm(
  ctx: StationContext,
  offline: boolean,
  serial: string,
  body: ConfirmBody,
): Promise<'server' | 'journal'> {
  if (!offline) {
    try {
      await ctx.client.confirm(serial, body);
      return 'server';
    } catch (error) {
      if (!(error instanceof StationError && error.code === 'SERVER_UNREACHABLE')) throw error;
    }
  }
  appendJournal(ctx.paths, { serial, ...body, at: new Date().toISOString() });
  return 'journal';
}

/**
 * Reads serials line by line (a barcode scanner types like a keyboard) and handles one unit at a time:
 * download or take from the offline store, open and verify, burn, confirm, wipe. One status line per
 * unit with a running count. Resolves with the tally when the input ends.
 */
export async function runStation(options: RunOptions): Promise<Tally> {
  const ctx = openStation(options);
  const stationKey = loadPrivateKey(ctx); // a wrong passphrase fails before the first scan
  const deviceIssuerCas = options.deviceIssuerCa ? readDeviceIssuerCas(options.deviceIssuerCa) : undefined;
  const keyInUnit = keyInUnitCommands(options, deviceIssuerCas);
  const argvTemplate = options.burn ? parseBurnCommand(options.burn) : undefined;
  const out = options.output ?? process.stdout;
  const tally: Tally = { ok: 0, failed: 0, errors: 0 };
  const counts = () => `[ok ${tally.ok} | failed ${tally.failed} | errors ${tally.errors}]`;
  const say = (line: string) => out.write(`${line}\n`);
  const preHpke = preHpkeEntries(ctx.paths);
  if (preHpke.length > 0)
    say(
      `offline store: ${preHpke.length} unit(s) were prefetched by an earlier station version (pre-HPKE, unsigned) and cannot be verified: prefetch their batch again (${preHpke.join(' ')})`,
    );
  say(
    `station ${ctx.settings.stationName} ${options.offline ? 'OFFLINE (confirmations go to the journal; run "sync" later)' : `online (${ctx.settings.server})`}: scan a serial`,
  );
  const lines = readline.createInterface({
    input: options.input ?? process.stdin,
    crlfDelay: Infinity,
    terminal: false,
  });
  for await (const raw of lines) {
    const serial = raw.trim();
    if (!serial) continue;
    const started = Date.now();
    try {
      const creds = options.offline ? loadOffline(ctx.paths, serial) : await download(ctx, serial, keyInUnit);
      let unit: { thingName: string };
      let result: BurnResult;
      let breakdown = '';
      if (creds === 'awaiting' || creds.keyOrigin === 'device') {
        if (!keyInUnit)
          throw new StationError(
            'AWAITING_CSR',
            `unit ${serial} holds its own key (device-csr batch): start the station with --csr-command and --write-cert-command`,
          );
        const served = await serveKeyInUnit(ctx, keyInUnit, serial, creds);
        ({ unit, result } = served);
        const t = served.timings;
        breakdown = ` (csr ${t.csrMs} ms, send ${t.submitMs} ms, signing ${t.waitMs} ms, write ${t.writeMs} ms)`;
      } else {
        if (!argvTemplate)
          throw new StationError(
            'REJECTED',
            `unit ${serial} gets its key from the server: start the station with --burn`,
          );
        ({ unit, result } = await burnUnit(
          ctx,
          stationKey,
          options,
          argvTemplate,
          creds,
          serial,
          deviceIssuerCas,
        ));
      }
      const ok = result.exitCode === 0;
      const detail = ok
        ? undefined
        : `exit ${result.exitCode ?? result.signal}; ${result.lastLines.join(' | ')}`.slice(0, 2000);
      const where = await confirm(ctx, Boolean(options.offline), serial, {
        result: ok ? 'ok' : 'failed',
        burnLogSha256: result.logSha256,
        exitCode: result.exitCode,
        ...(result.signal ? { signal: result.signal } : {}),
        durationMs: result.durationMs,
        ...(detail ? { detail } : {}),
      });
      const saved = where === 'journal' ? ' (saved in the journal: run sync)' : '';
      if (ok) {
        tally.ok++;
        if (options.offline) removeOffline(ctx.paths, serial);
        say(
          `OK    ${serial}  ${breakdown ? 'certificate written' : 'burned'}  thing ${unit.thingName}  ${Date.now() - started} ms${breakdown}${saved}  ${counts()}`,
        );
      } else {
        tally.failed++;
        say(
          `FAIL  ${serial}  ${breakdown ? 'write-cert' : 'burn'} command failed: exit code ${result.exitCode ?? `signal ${result.signal}`}; last output: ${result.lastLines.join(' | ') || '(none)'}${saved}  ${counts()}`,
        );
      }
    } catch (error) {
      tally.errors++;
      const message =
        error instanceof StationError ? error.message : `unexpected error: ${(error as Error).message}`;
      const code = error instanceof StationError ? error.code : 'ERROR';
      say(`ERROR ${serial}  ${code}: ${message}  ${counts()}`);
    }
  }
  say(`done: ${counts()}`);
  return tally;
}
