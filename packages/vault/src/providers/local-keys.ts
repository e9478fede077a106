import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, type Secret } from '@claimline/config';

/** Local KEKs by id (unqualified: `k2`, not `local:k2`), and the id new records are wrapped under. */
export type LocalKeySet = { active: string; keys: ReadonlyMap<string, Buffer> };

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEK_BYTES = 32;

function fail(variable: string, problem: string): never {
  throw new ConfigError('vault', [{ variable, problem }]);
}

/** Decodes one base64 KEK; errors name the entry, never its value. */
function decodeKey(variable: string, id: string, encoded: unknown, where = ''): Buffer {
  const name = `${where}key ${JSON.stringify(id)}`;
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded.trim()))
    fail(variable, `${name} is not base64`);
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== KEK_BYTES) fail(variable, `${name} must be ${KEK_BYTES} bytes, got ${key.length}`);
  return key;
}

function checkId(variable: string, id: string, position: string): void {
  if (!KEY_ID.test(id)) fail(variable, `${position}: key id must match ${KEY_ID.source}`);
}

/** `VAULT_LOCAL_KEYS="k2:<base64>,k1:<base64>"`: the first entry is the active KEK. */
export function parseLocalKeys(value: Secret): LocalKeySet {
  const variable = 'VAULT_LOCAL_KEYS';
  const entries = value
    .reveal()
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) fail(variable, 'contains no key (expected id:base64,…)');
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    if (separator < 0) fail(variable, `entry ${index + 1} is not id:base64`);
    const id = entry.slice(0, separator);
    checkId(variable, id, `entry ${index + 1}`);
    if (keys.has(id)) fail(variable, `key id ${JSON.stringify(id)} appears twice`);
    keys.set(id, decodeKey(variable, id, entry.slice(separator + 1)));
  });
  return { active: [...keys.keys()][0] as string, keys };
}

/** `VAULT_LOCAL_KEYS_FILE`: JSON `{ "active": "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }`. */
export function readLocalKeyFile(path: string): LocalKeySet {
  const variable = 'VAULT_LOCAL_KEYS_FILE';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON';
    fail(variable, `cannot read ${JSON.stringify(path)} (${reason})`);
  }
  if (typeof parsed !== 'object' || parsed === null) fail(variable, `${path}: must be a JSON object`);
  const { active, keys: rawKeys } = parsed as { active?: unknown; keys?: unknown };
  if (typeof rawKeys !== 'object' || rawKeys === null || Array.isArray(rawKeys)) {
    fail(variable, `${path}: "keys" must be an object of id → base64 key`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(rawKeys)) {
    checkId(variable, id, `${path}: key ${JSON.stringify(id)}`);
    keys.set(id, decodeKey(variable, id, encoded, `${path}: `));
  }
  if (keys.size === 0) fail(variable, `${path}: "keys" is empty`);
  if (typeof active !== 'string' || !keys.has(active)) {
    fail(variable, `${path}: "active" must name one of the keys (${[...keys.keys()].join(', ')})`);
  }
  return { active, keys };
}

/**
 * Zero-setup local runs: creates `path` with one fresh random KEK (mode 0600, parent 0700) unless
 * it exists. Never overwrites: losing this file loses every secret sealed under it.
 */
export function ensureLocalKeyFile(path: string): { path: string; created: boolean } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  const body = { active: id, keys: { [id]: randomBytes(KEK_BYTES).toString('base64') } };
  try {
    writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return { path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { path, created: false };
    throw error;
  }
}

function writeKeyFile(path: string, keySet: LocalKeySet): void {
  const keys = Object.fromEntries([...keySet.keys].map(([id, key]) => [id, key.toString('base64')]));
  const temporary = `${path}.${process.pid}.tmp`;
  // Written whole and renamed: a crash never leaves a half-written file, the only copy of the KEKs.
  writeFileSync(temporary, `${JSON.stringify({ active: keySet.active, keys }, null, 2)}\n`, {
    flag: 'wx',
    mode: 0o600,
  });
  renameSync(temporary, path);
}

/**
 * Rotation, step 1 with a key file: adds a fresh random KEK to `path` and makes it active; the old
 * ones stay, so their records still open. Returns the new key's id (unqualified, e.g. `k20261130b`).
 */
export function addLocalKey(path: string): { id: string; previous: string } {
  const keySet = readLocalKeyFile(path);
  const day = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  let id = day;
  for (let n = 2; keySet.keys.has(id); n++) id = `${day}-${n}`;
  const keys = new Map(keySet.keys).set(id, randomBytes(KEK_BYTES));
  writeKeyFile(path, { active: id, keys });
  return { id, previous: keySet.active };
}

/** Rotation, last step with a key file: removes a KEK that is not active. Callers check no row uses it. */
export function removeLocalKey(path: string, id: string): void {
  const variable = 'VAULT_LOCAL_KEYS_FILE';
  const keySet = readLocalKeyFile(path);
  if (!keySet.keys.has(id)) fail(variable, `${path}: has no key ${JSON.stringify(id)}`);
  if (keySet.active === id) fail(variable, `${path}: key ${JSON.stringify(id)} is the active key`);
  const keys = new Map(keySet.keys);
  keys.delete(id);
  writeKeyFile(path, { active: keySet.active, keys });
}
