import { posix } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { DEFAULT_STATE_DIR, stateDirDefaultOf } from './fields.js';
import { Secret } from './secret.js';

export type EnvSchema = z.ZodObject<z.ZodRawShape>;
export type Env = Record<string, string | undefined>;

/**
 * Parses the environment once, at the edge of a process. Empty strings count as unset so that
 * `FOO=` in a shell or a compose file falls back to the default instead of failing validation.
 */
export function loadConfig<S extends EnvSchema>(
  scope: string,
  schema: S,
  env: Env = process.env,
): z.output<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  // Defaults under STATE_DIR follow it (the emulator writes its client files there).
  const stateDir = input.STATE_DIR ?? DEFAULT_STATE_DIR;
  for (const [key, field] of Object.entries(schema.shape)) {
    const relative = stateDirDefaultOf(field);
    if (relative !== undefined && input[key] === undefined) input[key] = posix.join(stateDir, relative);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(environment)'),
    problem:
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required but not set' : issue.message,
  }));
  throw new ConfigError(scope, issues);
}

/** Variable name → description and default, for documentation and the README check. */
export function describeSchema(
  schema: EnvSchema,
): { variable: string; description: string; defaultValue?: string }[] {
  return Object.entries(schema.shape).map(([variable, field]) => {
    const zodField = field as z.ZodType;
    const parsedDefault = zodField.safeParse(undefined);
    const description = zodField.description ?? '';
    const underStateDir = stateDirDefaultOf(field);
    if (underStateDir !== undefined)
      return { variable, description, defaultValue: `<STATE_DIR>/${underStateDir}` };
    return parsedDefault.success && parsedDefault.data !== undefined
      ? { variable, description, defaultValue: displayDefault(parsedDefault.data) }
      : { variable, description };
  });
}

/** Defaults live in the source code, so showing them hides nothing (a Secret default is a local URL). */
function displayDefault(value: unknown): string {
  if (value instanceof Secret) return value.reveal();
  // A list variable is written comma-separated, so show its default that way.
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
