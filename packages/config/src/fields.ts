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
