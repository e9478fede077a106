import { inspect } from 'node:util';
import { z } from 'zod';
import { ConfigError, Secret, databaseSchema, fields, loadConfig, migrateSchema } from '@claimline/config';

const schema = z.object({
  PORT: fields.port().default(8080).describe('port'),
  API_TOKEN: fields.secretString().describe('token'),
  ENABLED: fields.boolean().default(false).describe('flag'),
});

describe('loadConfig', () => {
  it('parses and applies defaults', () => {
    const config = loadConfig('test', schema, { API_TOKEN: 'abc', ENABLED: 'yes' });
    expect(config.PORT).toBe(8080);
    expect(config.ENABLED).toBe(true);
    expect(config.API_TOKEN.reveal()).toBe('abc');
  });

  it('rejects a malformed value and names the variable, not its value', () => {
    let caught: unknown;
    try {
      loadConfig('test', schema, { PORT: 'eighty', API_TOKEN: 'super-secret-value' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.issues.map((i) => i.variable)).toEqual(['PORT']);
    expect(error.message).toContain('PORT');
    expect(error.message).not.toContain('super-secret-value');
  });

  it('names every missing required variable', () => {
    expect(() => loadConfig('test', schema, {})).toThrow(/API_TOKEN: is required but not set/);
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig('test', schema, { API_TOKEN: 'x', PORT: '' }).PORT).toBe(8080);
  });

  it('rejects a database URL of the wrong scheme', () => {
    expect(() => loadConfig('db', databaseSchema, { DATABASE_URL: 'mysql://x@y/z' })).toThrow(
      /DATABASE_URL: must be a URL/,
    );
  });
});

describe('migrateSchema (two database roles)', () => {
  it('defaults to the local owner for migrations and the local application role for DATABASE_URL', () => {
    const config = loadConfig('migrate', migrateSchema, {});
    expect(new URL(config.MIGRATION_DATABASE_URL.reveal()).username).toBe('postgres');
    expect(new URL(config.DATABASE_URL.reveal()).username).toBe('claimline_runtime');
  });

  it('takes both, or MIGRATION_DATABASE_URL alone, and keeps both secret', () => {
    const both = loadConfig('migrate', migrateSchema, {
      MIGRATION_DATABASE_URL: 'postgresql://owner:s3cret-owner@db:5432/claimline',
      DATABASE_URL: 'postgresql://app:s3cret-app@db:5432/claimline',
    });
    expect(inspect(both)).not.toMatch(/s3cret/);
    expect(() =>
      loadConfig('migrate', migrateSchema, { MIGRATION_DATABASE_URL: 'postgresql://owner@db:5432/x' }),
    ).not.toThrow();
  });

  it('refuses DATABASE_URL alone: it would send the migrations to the local default server', () => {
    expect(() =>
      loadConfig('migrate', migrateSchema, { DATABASE_URL: 'postgresql://app:pw@db:5432/claimline' }),
    ).toThrow(/MIGRATION_DATABASE_URL: is not set while DATABASE_URL is/);
  });
});

describe('Secret', () => {
  it('never shows its value when printed, serialised or logged', () => {
    const config = loadConfig('db', databaseSchema, { DATABASE_URL: 'postgresql://app:hunter2@db:5432/x' });
    const printed = [
      String(config.DATABASE_URL),
      `${config.DATABASE_URL}`,
      JSON.stringify(config),
      inspect(config),
      inspect(config, { depth: 10, showHidden: true }),
    ];
    for (const text of printed) expect(text).not.toContain('hunter2');
    expect(config.DATABASE_URL).toBeInstanceOf(Secret);
    expect(config.DATABASE_URL.reveal()).toContain('hunter2');
  });
});
