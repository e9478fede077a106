import { VaultError, createVault, type SealedRecord } from '../src/index.js';
import {
  PRIVATE_KEY_PEM,
  caught,
  contextA,
  contextB,
  expectNoPlaintext,
  flipBit,
  key,
  vaultConfig,
} from './helpers.js';

const plaintext = Buffer.from(PRIVATE_KEY_PEM);
const k1 = key();
const vault = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k1:${k1}` }));

describe('local vault', () => {
  let record: SealedRecord;
  beforeAll(async () => {
    record = await vault.seal({ plaintext, context: contextA });
  });

  it('round-trips and keeps the four-column shape', async () => {
    expect(Object.keys(record).sort()).toEqual(['algorithm', 'ciphertext', 'kekId', 'wrappedKey']);
    expect(record.algorithm).toBe('aes-256-gcm/v1');
    expect(record.kekId).toBe('local:k1');
    expect(record.ciphertext[0]).toBe(0x01);
    expect(record.ciphertext.length).toBe(1 + 12 + plaintext.length + 16);
    expect(await vault.open(record, contextA)).toEqual(plaintext);
  });

  it('uses a fresh IV and data key for every record', async () => {
    const again = await vault.seal({ plaintext, context: contextA });
    expect(again.ciphertext.subarray(1, 13)).not.toEqual(record.ciphertext.subarray(1, 13));
    expect(again.wrappedKey).not.toEqual(record.wrappedKey);
  });

  it('never shows the plaintext in the serialised record', () => {
    expectNoPlaintext(JSON.stringify(record), plaintext);
  });

  it.each([
    ['ciphertext body', 'ciphertext', 13 + 5],
    ['IV', 'ciphertext', 4],
    ['tag', 'ciphertext', -1],
    ['wrapped key', 'wrappedKey', 20],
    ['wrapped-key tag', 'wrappedKey', -1],
  ] as const)('detects a flipped bit in the %s', async (_name, column, offset) => {
    const index = offset < 0 ? record[column].length + offset : offset;
    const tampered = { ...record, [column]: flipBit(record[column], index) };
    const error = await caught(vault.open(tampered, contextA));
    expect(error).toBeInstanceOf(VaultError);
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.message).toContain('SN-A-0001');
    expectNoPlaintext(error.message, plaintext);
  });

  it('rejects an unknown version byte and algorithm', async () => {
    const version = await caught(
      vault.open({ ...record, ciphertext: flipBit(record.ciphertext, 0) }, contextA),
    );
    expect(version.code).toBe('UNSUPPORTED_ALGORITHM');
    const algorithm = await caught(vault.open({ ...record, algorithm: 'aes-128-cbc' }, contextA));
    expect(algorithm.code).toBe('UNSUPPORTED_ALGORITHM');
    expect(algorithm.message).toContain('"aes-128-cbc"');
    const short = await caught(
      vault.open({ ...record, ciphertext: record.ciphertext.subarray(0, 20) }, contextA),
    );
    expect(short.code).toBe('MALFORMED_RECORD');
  });

  it('detects swapped records: row A holding row B’s columns fails and names row A', async () => {
    const recordB = await vault.seal({ plaintext: Buffer.from('token-of-B'), context: contextB });
    const error = await caught(vault.open(recordB, contextA));
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.message).toContain('serial "SN-A-0001"');
    expect(error.message).toContain(`certificate "${contextA.certificateId}"`);
    expect(error.message).toContain('purpose "private-key"');
    expect(error.message).not.toContain('SN-B-0002');
  });

  it('binds each field of the context: purpose, certificate id, and field boundaries', async () => {
    for (const other of [
      { ...contextA, purpose: 'ownership-token' as const },
      { ...contextA, certificateId: 'c'.repeat(64) },
      // Same concatenation "SN-A-0001" + "aaa…" as contextA: the length-prefixed encoding tells them apart.
      { ...contextA, serial: 'SN-A-000', certificateId: `1${contextA.certificateId}` },
    ]) {
      expect((await caught(vault.open(record, other))).code).toBe('DECRYPT_FAILED');
    }
  });

  it('fails with the wrong KEK under the same id', async () => {
    const other = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k1:${key()}` }));
    const error = await caught(other.open(record, contextA));
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.message).not.toContain(k1);
  });

  it('names an unknown KEK id', async () => {
    const other = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k9:${key()}` }));
    const error = await caught(other.open(record, contextA));
    expect(error.code).toBe('UNKNOWN_KEK');
    expect(error.message).toContain('"local:k1"');
    expect(error.message).toContain('SN-A-0001');
  });

  it('refuses empty plaintext and an incomplete context, naming what is missing', async () => {
    const empty = await caught(vault.seal({ plaintext: Buffer.alloc(0), context: contextA }));
    expect(empty.code).toBe('INVALID_PLAINTEXT');
    const missing = await caught(vault.seal({ plaintext, context: { ...contextA, serial: '' } }));
    expect(missing.code).toBe('INVALID_CONTEXT');
    expect(missing.message).toContain('serial (empty)');
    expect(missing.message).toContain('serial must be a non-empty string');
    const purpose = await caught(vault.open(record, { ...contextA, purpose: 'password' as never }));
    expect(purpose.code).toBe('INVALID_CONTEXT');
  });
});
