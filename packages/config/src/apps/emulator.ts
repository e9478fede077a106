import { z } from 'zod';
import { logFields, stateDirFields } from './common.js';
import { port, positiveInt, secretString } from '../fields.js';

const json = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON (${what})` });
      return z.NEVER;
    }
  });

/** The AWS IoT fleet-provisioning emulator (`apps/emulator`); its state lives in `${STATE_DIR}/emulator`. */
export const emulatorFields = {
  EMULATOR_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address the emulator MQTT/TLS endpoint listens on'),
  EMULATOR_PORT: port().default(8883).describe('Emulator MQTT over TLS port (0 picks a free port)'),
  EMULATOR_SERVER_NAMES: z
    .string()
    .default('localhost,127.0.0.1')
    .transform((text) =>
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'must be a DNS name or an IP address' }))
        .min(1, 'needs at least one name'),
    )
    .describe(
      'Comma-separated DNS names and IP addresses the emulator server certificate names (subject alternative names)',
    ),
  EMULATOR_CONTROL_PORT: port()
    .default(8885)
    .describe('Emulator AWS IoT control plane (HTTPS, SigV4) port (0 picks a free port)'),
  EMULATOR_ADMIN_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Address the emulator admin HTTP API listens on; beyond loopback it needs EMULATOR_ADMIN_TOKEN',
    ),
  EMULATOR_ADMIN_PORT: port().default(8884).describe('Emulator admin HTTP API port (0 picks a free port)'),
  EMULATOR_ADMIN_TOKEN: secretString()
    .optional()
    .describe(
      'Bearer token the emulator admin API requires (every route but /healthz); required when it listens beyond loopback',
    ),
  EMULATOR_CLAIM_POLICY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      "AWS IoT policy document (JSON) of the emulator's claim certificate; default: the bundled fleet-provisioning claim policy",
    ),
  EMULATOR_KEY_ALGORITHM: z
    .enum(['rsa-2048', 'ec-p256'])
    .default('rsa-2048')
    .describe('Key type the emulator generates for CreateKeysAndCertificate: rsa-2048 (as AWS) or ec-p256'),
  EMULATOR_TEMPLATES_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Directory of AWS-format provisioning templates (<name>.json); default: the bundled templates'),
  EMULATOR_TOKEN_TTL_SECONDS: positiveInt()
    .default(3600)
    .describe('Validity of certificate ownership tokens in seconds'),
  EMULATOR_HOOK_TIMEOUT_MS: positiveInt()
    .default(5000)
    .describe('Time-out of pre-provisioning hook calls in milliseconds'),
  EMULATOR_QUOTAS: z
    .union([z.literal('off'), json('quota overrides, e.g. {"registerThingPerSecond":20}')])
    .optional()
    .describe(
      'Emulated AWS quotas: "off", or JSON overrides of the per-second limits (see apps/emulator/README.md)',
    ),
  EMULATOR_FAULTS: json('fault settings, e.g. {"errorRate":0.1,"seed":7}')
    .optional()
    .describe(
      'Injected faults as JSON: delayMs, dropRate, errorRate, throttleRate, disconnectAfterRequestRate, seed, operations',
    ),
  ...stateDirFields,
  ...logFields,
};

export const emulatorSchema = z.object({ ...emulatorFields });

export type EmulatorConfig = z.output<typeof emulatorSchema>;
