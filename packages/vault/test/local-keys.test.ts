import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@claimline/config';
import {
  addLocalKey,
  createVault,
  ensureLocalKeyFile,
  readLocalKeyFile,
  removeLocalKey,
} from '../src/index.js';
import { contextA, key, vaultConfig } from './helpers.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const dir = mkdtempSync(join(tmpdir(), 'vault-keys-'));
const short = Buffer.alloc(16, 7).toString('base64');

describe('local key configuration', () => {
  it.each([
    ['an entry without id', `${key()}`, 'entry 1 is not id:base64'],
    ['a key that is not base64', 'k1:not*base64', 'key "k1" is not base64'],
    ['a 16-byte key', `k1:${short}`, 'key "k1" must be 32 bytes, got 16'],
    ['a duplicate id', `k1:${key()},k1:${key()}`, 'key id "k1" appears twice'],
    ['a bad id', `k 1:${key()}`, 'entry 1: key id must match'],
  ])('VAULT_LOCAL_KEYS with %s names the variable, not the value', (_name, value, problem) => {
    const error = configErrorOf(() => createVault(vaultConfig({ VAULT_LOCAL_KEYS: value })));
    expect(error.issues[0]?.variable).toBe('VAULT_LOCAL_KEYS');
    expect(error.message).toContain('VAULT_LOCAL_KEYS');
    expect(error.message).toContain(problem);
    const material = value.split(':').pop() as string;
    if (material.length > 8) expect(error.message).not.toContain(material);
  });

  it('reads a key file with an explicit active key', async () => {
    const path = join(dir, 'two-keys.json');
    writeFileSync(path, JSON.stringify({ active: 'k2', keys: { k1: key(), k2: key() } }));
    const vault = createVault(vaultConfig({ VAULT_LOCAL_KEYS_FILE: path }));
    expect(vault.activeKekId).toBe('local:k2');
    const record = await vault.seal({ plaintext: Buffer.from('x'), context: contextA });
    expect(await vault.open(record, contextA)).toEqual(Buffer.from('x'));
  });

  it.each([
    ['a missing file', undefined, 'ENOENT'],
    ['invalid JSON', '{"active":', 'not valid JSON'],
    [
      'an active id that is not a key',
      JSON.stringify({ active: 'k3', keys: { k1: key() } }),
      '"active" must name one of',
    ],
    ['a short key', JSON.stringify({ active: 'k1', keys: { k1: short } }), 'key "k1" must be 32 bytes'],
  ])('VAULT_LOCAL_KEYS_FILE with %s names the variable and the path', (name, body, problem) => {
    const path = join(dir, `${name.replaceAll(' ', '-')}.json`);
    if (body !== undefined) writeFileSync(path, body);
    const error = configErrorOf(() => createVault(vaultConfig({ VAULT_LOCAL_KEYS_FILE: path })));
    expect(error.issues[0]?.variable).toBe('VAULT_LOCAL_KEYS_FILE');
    expect(error.message).toContain(problem);
    expect(error.message).toContain(path);
  });

  it('fails clearly when the local provider has no key, and when both sources are set', () => {
    const none = configErrorOf(() => createVault(vaultConfig({})));
    expect(none.message).toContain('no local key-encryption key is configured');
    expect(none.message).toContain('ensureLocalKeyFile');
    const both = configErrorOf(() =>
      createVault(
        vaultConfig({ VAULT_LOCAL_KEYS: `k1:${key()}`, VAULT_LOCAL_KEYS_FILE: join(dir, 'x.json') }),
      ),
    );
    expect(both.message).toContain('both set');
  });

  it('validates the provider and the KMS settings with the variable names', () => {
    expect(configErrorOf(() => vaultConfig({ VAULT_PROVIDER: 'vault' })).issues[0]?.variable).toBe(
      'VAULT_PROVIDER',
    );
    const kms = configErrorOf(() => createVault(vaultConfig({ VAULT_PROVIDER: 'aws-kms' })));
    expect(kms.issues.map((issue) => issue.variable)).toEqual(['VAULT_KMS_KEY_ID', 'VAULT_KMS_REGION']);
  });

  it('keeps VAULT_LOCAL_KEYS out of printed configuration', () => {
    const secret = key();
    const config = vaultConfig({ VAULT_LOCAL_KEYS: `k1:${secret}` });
    expect(JSON.stringify(config)).not.toContain(secret);
  });

  it('ensureLocalKeyFile creates one 0600 key once and never overwrites it', async () => {
    const path = join(dir, 'nested', 'vault-keys.json');
    expect(ensureLocalKeyFile(path)).toEqual({ path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const first = readFileSync(path, 'utf8');
    expect(ensureLocalKeyFile(path)).toEqual({ path, created: false });
    expect(readFileSync(path, 'utf8')).toBe(first);
    const vault = createVault(vaultConfig({ VAULT_LOCAL_KEYS_FILE: path }));
    expect(vault.activeKekId).toMatch(/^local:k\d{8}$/);
    const record = await vault.seal({ plaintext: Buffer.from('y'), context: contextA });
    expect(await vault.open(record, contextA)).toEqual(Buffer.from('y'));
  });

  it('addLocalKey makes a new key active and keeps the old; removeLocalKey refuses the active key', async () => {
    const path = join(dir, 'rotate', 'vault-keys.json');
    ensureLocalKeyFile(path);
    const old = createVault(vaultConfig({ VAULT_LOCAL_KEYS_FILE: path }));
    const record = await old.seal({ plaintext: Buffer.from('z'), context: contextA });

    const { id, previous } = addLocalKey(path);
    expect(`local:${previous}`).toBe(old.activeKekId);
    expect(id).not.toBe(previous);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const both = createVault(vaultConfig({ VAULT_LOCAL_KEYS_FILE: path }));
    expect(both.activeKekId).toBe(`local:${id}`);
    expect(await both.open(record, contextA)).toEqual(Buffer.from('z'));
    expect(addLocalKey(path).id).not.toBe(id);

    expect(configErrorOf(() => removeLocalKey(path, readLocalKeyFile(path).active)).message).toContain(
      'is the active key',
    );
    removeLocalKey(path, previous);
    expect([...readLocalKeyFile(path).keys.keys()]).not.toContain(previous);
    expect(configErrorOf(() => removeLocalKey(path, previous)).message).toContain('has no key');
  });
});
