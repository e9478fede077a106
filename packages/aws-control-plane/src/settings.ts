import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ControlPlaneConfig } from '@claimline/config';

/** Where and how to reach the control plane; `credentials` absent = the SDK's standard chain. */
export type ControlPlaneSettings = {
  source: 'emulator' | 'aws';
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** PEM CAs to trust instead of Node's defaults. */
  ca?: string;
  timeoutMs: number;
};

/** Why there is no control plane: claimline runs without it (the worker falls back to the connect probe). */
export type ControlPlaneAbsence = { reason: string };

const clientFileSchema = z.object({
  endpoint: z.string().url(),
  region: z.string().min(1),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
});

const readIfExists = (file: string) =>
  readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });

/**
 * Resolves the configuration into settings once, at start-up. `emulator` reads the emulator's client
 * file (and the CA beside it); a missing file means "no control plane", not a failure, so a process
 * started before (or without) the emulator still runs. A malformed file is a start-up error.
 */
export async function loadControlPlaneSettings(
  config: ControlPlaneConfig,
): Promise<ControlPlaneSettings | ControlPlaneAbsence> {
  const caFile = config.CONTROL_PLANE_CA_FILE;
  const base = { timeoutMs: config.CONTROL_PLANE_TIMEOUT_MS };
  if (config.CONTROL_PLANE === 'off') return { reason: 'CONTROL_PLANE=off' };
  if (config.CONTROL_PLANE === 'aws') {
    return {
      ...base,
      source: 'aws',
      endpoint: config.CONTROL_PLANE_ENDPOINT,
      region: config.CONTROL_PLANE_REGION,
      ca: caFile ? await readFile(caFile, 'utf8') : undefined,
    };
  }
  const text = await readIfExists(config.CONTROL_PLANE_CLIENT_FILE);
  if (text === undefined)
    return { reason: `no emulator control-plane client file at ${config.CONTROL_PLANE_CLIENT_FILE}` };
  const parsed = clientFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${config.CONTROL_PLANE_CLIENT_FILE} is not an emulator control-plane client file`);
  const file = parsed.data;
  return {
    ...base,
    source: 'emulator',
    endpoint: config.CONTROL_PLANE_ENDPOINT ?? file.endpoint,
    region: config.CONTROL_PLANE_REGION ?? file.region,
    credentials: { accessKeyId: file.accessKeyId, secretAccessKey: file.secretAccessKey },
    ca: await readFile(
      caFile ?? join(dirname(config.CONTROL_PLANE_CLIENT_FILE), 'AmazonRootCA1.pem'),
      'utf8',
    ),
  };
}

export const isControlPlaneSettings = (
  value: ControlPlaneSettings | ControlPlaneAbsence,
): value is ControlPlaneSettings => 'source' in value;
