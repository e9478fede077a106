import { createVault } from '../src/index.js';
import { caught, contextA, expectNoPlaintext, flipBit, key, vaultConfig } from './helpers.js';

const plaintext = Buffer.from('ownership-token-4f1c2a9e');
const context = { ...contextA, purpose: 'ownership-token' as const };
const k1 = key();
const k2 = key();

describe('rotation', () => {
  it('re-wraps under the new KEK without touching the ciphertext; k1 can then be removed', async () => {
    const before = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k1:${k1}` }));
    const sealed = await before.seal({ plaintext, context });
    const original = Buffer.from(sealed.ciphertext);
    expect(before.needsRewrap(sealed)).toBe(false);

    const during = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` }));
    expect(during.activeKekId).toBe('local:k2');
    expect(during.needsRewrap(sealed)).toBe(true);
    expect(await during.open(sealed, context)).toEqual(plaintext);

    const rotated = await during.rewrap(sealed, context);
    expect(rotated.kekId).toBe('local:k2');
    expect(rotated.algorithm).toBe(sealed.algorithm);
    expect(rotated.ciphertext.equals(original)).toBe(true);
    expect(rotated.wrappedKey.equals(sealed.wrappedKey)).toBe(false);
    expect(during.needsRewrap(rotated)).toBe(false);
    expect(await during.open(rotated, context)).toEqual(plaintext);
    expectNoPlaintext(JSON.stringify(rotated), plaintext);

    const after = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k2:${k2}` }));
    expect(await after.open(rotated, context)).toEqual(plaintext);
    const stale = await caught(after.open(sealed, context));
    expect(stale.code).toBe('UNKNOWN_KEK');
    expect(stale.message).toContain('"local:k1"');
  });

  it('re-wraps to an explicitly given KEK, and rejects an unknown target', async () => {
    const vault = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` }));
    const sealed = await vault.seal({ plaintext, context });
    const back = await vault.rewrap(sealed, context, 'local:k1');
    expect(back.kekId).toBe('local:k1');
    expect(vault.needsRewrap(back)).toBe(true);
    expect(await vault.open(back, context)).toEqual(plaintext);
    expect((await caught(vault.rewrap(sealed, context, 'local:k7'))).code).toBe('UNKNOWN_KEK');
  });

  it('refuses to re-wrap a record whose ciphertext is corrupt or belongs to another row', async () => {
    const vault = createVault(vaultConfig({ VAULT_LOCAL_KEYS: `k2:${k2},k1:${k1}` }));
    const sealed = await vault.seal({ plaintext, context });
    const corrupt = { ...sealed, ciphertext: flipBit(sealed.ciphertext, 20) };
    expect((await caught(vault.rewrap(corrupt, context))).code).toBe('DECRYPT_FAILED');
    expect((await caught(vault.rewrap(sealed, { ...context, serial: 'SN-OTHER' }))).code).toBe(
      'DECRYPT_FAILED',
    );
  });
});
