#!/usr/bin/env node
// claimline-station: the programmer station on the line PC. See apps/station/README.md.
import { Command, Option } from 'commander';
import { loadConfig, stationSchema } from '@claimline/config';
import {
  DEFAULT_SIGNING_ALGORITHM,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '@claimline/station-contract';
import { initStation } from './commands/init.js';
import { prefetchBatch } from './commands/prefetch.js';
import { runStation } from './commands/run.js';
import { stationStatus } from './commands/status.js';
import { syncJournal } from './commands/sync.js';
import { StationError } from './station-error.js';
import { warnInsecure } from './transport.js';

const config = loadConfig('station', stationSchema);
/** Plain HTTP to another machine is refused unless this flag is given, and then warned about each start. */
const insecureHttp = process.argv.includes('--insecure-http');
warnInsecure(insecureHttp);
const common = (dir: string | undefined) => ({
  dir: dir ?? config.STATION_DIR,
  httpTimeoutMs: config.STATION_HTTP_TIMEOUT_MS,
  insecureHttp,
});
const dirOption = () =>
  new Option('--dir <path>', `station directory (default STATION_DIR or ${config.STATION_DIR})`);

const program = new Command('claimline-station')
  .description('Programmer station: scan, download, verify, burn, confirm')
  .option('--insecure-http', 'allow plain HTTP to a non-loopback server (test benches only; warned)')
  .showHelpAfterError();

program
  .command('init')
  .description(
    'create the seal and signing key pairs, enrol them with the server, pin the server CA, its bundle key and the device endpoint',
  )
  .requiredOption('--server <url>', 'claimline API base URL (https://, or http:// to loopback)')
  .requiredOption('--key <apiKey>', 'the STATION API key from POST /v1/stations')
  .option(
    '--passphrase-env <VAR>',
    'encrypt the private key with the passphrase in this environment variable (needed again by run)',
  )
  .addOption(new Option('--algorithm <alg>', 'seal key type').choices(['x25519', 'p256']).default('x25519'))
  .addOption(
    new Option('--signing-algorithm <alg>', 'request-signing key type')
      .choices([...SIGNING_ALGORITHMS])
      .default(DEFAULT_SIGNING_ALGORITHM),
  )
  .option('--server-ca <file>', "pin the CA of the API's TLS certificate (PEM); default: the system's CAs")
  .option(
    '--device-endpoint <host:port>',
    'pin the AWS IoT endpoint units get (default: what the server states)',
  )
  .option(
    '--device-endpoint-ca <file>',
    'pin the endpoint trust root units get (default: what the server states)',
  )
  .option('--force', 'make new keys for an enrolled station (pending until an admin approves them)')
  .addOption(dirOption())
  .action(
    async (o: {
      server: string;
      key: string;
      passphraseEnv?: string;
      algorithm: 'x25519' | 'p256';
      signingAlgorithm: SigningAlgorithm;
      serverCa?: string;
      deviceEndpoint?: string;
      deviceEndpointCa?: string;
      force?: boolean;
      dir?: string;
    }) => {
      const done = await initStation({
        ...common(o.dir),
        server: o.server,
        key: o.key,
        algorithm: o.algorithm,
        signingAlgorithm: o.signingAlgorithm,
        force: o.force ?? false,
        ...(o.passphraseEnv ? { passphraseEnv: o.passphraseEnv } : {}),
        ...(o.serverCa ? { serverCa: o.serverCa } : {}),
        ...(o.deviceEndpoint ? { deviceEndpoint: o.deviceEndpoint } : {}),
        ...(o.deviceEndpointCa ? { deviceEndpointCa: o.deviceEndpointCa } : {}),
      });
      console.log(`station ${done.stationName} set up in ${done.dir}`);
      console.log(`  seal key fingerprint     ${done.fingerprint}`);
      console.log(`  signing key fingerprint  ${done.signingFingerprint}`);
      console.log(
        `  pinned server bundle key ${done.serverKeyFingerprint}; device endpoint ${done.deviceEndpoint}`,
      );
      console.log(
        done.status === 'ACTIVE'
          ? '  keys ACTIVE: the station is ready'
          : `  keys PENDING: an admin compares these fingerprints with GET /v1/stations/${done.stationName} and approves them`,
      );
    },
  );

program
  .command('run')
  .description('read serials from stdin (a barcode scanner) and burn each unit')
  .option(
    '--burn <command>',
    'burn command; placeholders {cert} {key} {ca} {serial} {thingName} {endpoint} (no shell)',
  )
  .option(
    '--csr-command <command>',
    "device-csr units: prints the unit's CSR (its key never leaves it); placeholder {serial} (no shell)",
  )
  .option(
    '--write-cert-command <command>',
    'device-csr units: gives the unit its certificate; placeholders {cert} {ca} {serial} {thingName} {endpoint} (no shell)',
  )
  .option('--offline', 'use the prefetched store and write confirmations to the journal')
  .option(
    '--device-issuer-ca <file>',
    'pin the CA that issues device certificates: each unit certificate must be issued by it (STATION_DEVICE_ISSUER_CA_PATH)',
    config.STATION_DEVICE_ISSUER_CA_PATH,
  )
  .option('--thing-name <pattern>', 'require this thing name, e.g. "unit-{serial}"')
  .addOption(dirOption())
  .action(
    async (o: {
      burn?: string;
      csrCommand?: string;
      writeCertCommand?: string;
      offline?: boolean;
      deviceIssuerCa?: string;
      thingName?: string;
      dir?: string;
    }) => {
      const tally = await runStation({
        ...common(o.dir),
        ...(o.burn ? { burn: o.burn } : {}),
        ...(o.csrCommand ? { csrCommand: o.csrCommand } : {}),
        ...(o.writeCertCommand ? { writeCertCommand: o.writeCertCommand } : {}),
        certificateWaitMs: config.STATION_CERTIFICATE_WAIT_SECONDS * 1000,
        offline: o.offline ?? false,
        burnTimeoutMs: config.STATION_BURN_TIMEOUT_SECONDS * 1000,
        ...(o.deviceIssuerCa ? { deviceIssuerCa: o.deviceIssuerCa } : {}),
        ...(o.thingName ? { thingName: o.thingName } : {}),
      });
      process.exitCode = tally.failed + tally.errors > 0 ? 1 : 0;
    },
  );

program
  .command('prefetch')
  .description('download a whole batch for offline work (kept sealed at rest)')
  .requiredOption('--batch <id>', 'batch id')
  .addOption(dirOption())
  .action(async (o: { batch: string; dir?: string }) => {
    const { stored } = await prefetchBatch({ ...common(o.dir), batch: o.batch });
    console.log(
      `prefetched ${stored} unit(s) of batch ${o.batch}; burn them with "run --offline", then "sync"`,
    );
  });

program
  .command('sync')
  .description('upload the confirmations made offline')
  .addOption(dirOption())
  .action(async (o: { dir?: string }) => {
    const { pending } = await syncJournal(common(o.dir));
    process.exitCode = pending > 0 ? 1 : 0;
  });

program
  .command('status')
  .description("show this station's batches and counts, the offline store and the journal")
  .addOption(dirOption())
  .action(async (o: { dir?: string }) => stationStatus(common(o.dir)));

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(
    error instanceof StationError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error),
  );
  process.exit(1);
});
