#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { emulatorSchema, loadConfig } from '@claimline/config';
import { createLogger } from '@claimline/logger';
import { startEmulator } from './emulator.js';
import { faultsSchema, quotasSchema } from './limits/limit-schemas.js';
import type { Faults } from './options.js';

const BUNDLED_TEMPLATES = resolve(__dirname, '../templates');

function jsonOption<T>(schema: z.ZodType<T>, what: string) {
  return (text: string): T => {
    let value: unknown = text;
    if (text !== 'off') {
      try {
        value = JSON.parse(text);
      } catch {
        throw new InvalidArgumentError(`${what} must be JSON`);
      }
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(z.prettifyError(parsed.error));
    return parsed.data;
  };
}

async function main(): Promise<void> {
  const env = loadConfig('emulator', emulatorSchema);
  const integer = (text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new InvalidArgumentError('must be a non-negative integer');
    return value;
  };
  const serverNames = (text: string) => {
    const parsed = emulatorSchema.shape.EMULATOR_SERVER_NAMES.safeParse(text);
    if (!parsed.success) throw new InvalidArgumentError(z.prettifyError(parsed.error));
    return parsed.data;
  };
  const program = new Command('claimline-emulator')
    .description(
      'Emulator of the AWS IoT Core fleet-provisioning MQTT API (by claim). Options default to the EMULATOR_* variables.',
    )
    .option(
      '--state-dir <dir>',
      'state directory: PKI, registry, client files (STATE_DIR/emulator)',
      resolve(env.STATE_DIR, 'emulator'),
    )
    .option('--host <host>', 'listen address (EMULATOR_HOST)', env.EMULATOR_HOST)
    .option('--port <port>', 'MQTT/TLS port, 0 = free port (EMULATOR_PORT)', integer, env.EMULATOR_PORT)
    .option(
      '--server-names <names>',
      'comma-separated DNS names and IPs in the server certificate (EMULATOR_SERVER_NAMES)',
      serverNames,
      env.EMULATOR_SERVER_NAMES,
    )
    .option(
      '--admin-host <host>',
      'admin HTTP listen address; beyond loopback EMULATOR_ADMIN_TOKEN is required (EMULATOR_ADMIN_HOST)',
      env.EMULATOR_ADMIN_HOST,
    )
    .option(
      '--admin-port <port>',
      'admin HTTP port, 0 = free port (EMULATOR_ADMIN_PORT)',
      integer,
      env.EMULATOR_ADMIN_PORT,
    )
    .option(
      '--control-port <port>',
      'AWS IoT control plane HTTPS port, 0 = free port (EMULATOR_CONTROL_PORT)',
      integer,
      env.EMULATOR_CONTROL_PORT,
    )
    .option(
      '--key-algorithm <algorithm>',
      'rsa-2048 or ec-p256 (EMULATOR_KEY_ALGORITHM)',
      env.EMULATOR_KEY_ALGORITHM,
    )
    .option(
      '--templates-dir <dir>',
      'directory of <name>.json templates (EMULATOR_TEMPLATES_DIR)',
      env.EMULATOR_TEMPLATES_DIR ?? BUNDLED_TEMPLATES,
    )
    .option(
      '--claim-policy-file <file>',
      "the claim certificate's AWS IoT policy document (EMULATOR_CLAIM_POLICY_FILE); default: the bundled one",
      env.EMULATOR_CLAIM_POLICY_FILE,
    )
    .option(
      '--token-ttl-seconds <seconds>',
      'ownership token validity (EMULATOR_TOKEN_TTL_SECONDS)',
      integer,
      env.EMULATOR_TOKEN_TTL_SECONDS,
    )
    .option(
      '--hook-timeout-ms <ms>',
      'pre-provisioning hook time-out (EMULATOR_HOOK_TIMEOUT_MS)',
      integer,
      env.EMULATOR_HOOK_TIMEOUT_MS,
    )
    .option(
      '--quotas <json|off>',
      'quota overrides as JSON, or off (EMULATOR_QUOTAS)',
      jsonOption(quotasSchema, '--quotas'),
    )
    .option(
      '--faults <json>',
      'injected faults as JSON (EMULATOR_FAULTS)',
      jsonOption(faultsSchema, '--faults'),
    )
    .option('--log-level <level>', 'pino log level (LOG_LEVEL)', env.LOG_LEVEL)
    .parse();
  const options = program.opts<{
    stateDir: string;
    host: string;
    port: number;
    serverNames: string[];
    adminHost: string;
    adminPort: number;
    controlPort: number;
    keyAlgorithm: string;
    templatesDir: string;
    claimPolicyFile?: string;
    tokenTtlSeconds: number;
    hookTimeoutMs: number;
    quotas?: z.output<typeof quotasSchema>;
    faults?: Partial<Faults>;
    logLevel: string;
  }>();
  const fromEnv = <T>(schema: z.ZodType<T>, variable: string, value: unknown): T | undefined => {
    if (value === undefined) return undefined;
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : program.error(`${variable}: ${z.prettifyError(parsed.error)}`);
  };
  const quotas = options.quotas ?? fromEnv(quotasSchema, 'EMULATOR_QUOTAS', env.EMULATOR_QUOTAS);
  const faults = options.faults ?? fromEnv(faultsSchema, 'EMULATOR_FAULTS', env.EMULATOR_FAULTS);
  const keyAlgorithm = options.keyAlgorithm;
  if (keyAlgorithm !== 'rsa-2048' && keyAlgorithm !== 'ec-p256')
    return program.error('--key-algorithm must be rsa-2048 or ec-p256');

  const logger = createLogger({ name: 'emulator', level: options.logLevel });
  const emulator = await startEmulator({
    stateDir: options.stateDir,
    host: options.host,
    port: options.port,
    serverNames: options.serverNames,
    adminPort: options.adminPort,
    controlPort: options.controlPort,
    adminHost: options.adminHost,
    // From the environment only: a command-line flag would show the token in the process list.
    adminToken: env.EMULATOR_ADMIN_TOKEN?.reveal(),
    keyAlgorithm,
    templatesDir: options.templatesDir,
    claimPolicyFile: options.claimPolicyFile,
    tokenTtlSeconds: options.tokenTtlSeconds,
    hookTimeoutMs: options.hookTimeoutMs,
    quotas,
    faults: faults as Partial<Faults> | undefined,
    logger,
  });
  logger.info(
    { endpoint: `${emulator.host}:${emulator.port}`, admin: emulator.adminUrl, files: emulator.files },
    'emulator ready',
  );
  console.log(
    `claimline emulator: mqtts://${emulator.host}:${emulator.port}, admin ${emulator.adminUrl}, control plane ${emulator.controlPlaneUrl}`,
  );
  console.log(`client files: ${JSON.stringify(emulator.files, null, 2)}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
