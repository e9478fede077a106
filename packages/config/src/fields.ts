import { posix } from 'node:path';
import { z } from 'zod';
import { Secret } from './secret.js';

/** Reusable field types for environment schemas. Every field carries a description for the README table. */

export const secretString = () =>
  z
    .string()
    .min(1)
    .transform((value) => new Secret(value));

export const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(', ')})` },
  );

/** A URL with credentials in it (a database URL): kept as a Secret so that its password is never printed. */
export const secretUrl = (protocols: readonly string[]) =>
  url(protocols).transform((value) => new Secret(value));

export const port = () => z.coerce.number().int().min(0).max(65535);

export const positiveInt = () => z.coerce.number().int().positive();

export const nonNegativeInt = () => z.coerce.number().int().min(0);

export const boolean = () =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Where local state lives unless `STATE_DIR` says otherwise. */
export const DEFAULT_STATE_DIR = '.claimline';

const UNDER_STATE_DIR = new WeakMap<z.ZodType, string>();

/**
 * A file or folder that defaults to `<STATE_DIR>/<relative>` (the emulator's client files): loadConfig
 * fills it from the same environment's `STATE_DIR`, so moving `STATE_DIR` moves every such default.
 * The static default (`.claimline/<relative>`) is what an unset `STATE_DIR` gives.
 */
export const pathUnderStateDir = (relative: string, description: string) => {
  const field = z.string().min(1).default(posix.join(DEFAULT_STATE_DIR, relative)).describe(description);
  UNDER_STATE_DIR.set(field, relative);
  return field;
};

/** The path under `STATE_DIR` a field defaults to, if it is a `pathUnderStateDir` field. */
export function stateDirDefaultOf(field: unknown): string | undefined {
  return typeof field === 'object' && field !== null ? UNDER_STATE_DIR.get(field as z.ZodType) : undefined;
}
