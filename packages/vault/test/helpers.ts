import { randomBytes } from 'node:crypto';
import { loadConfig, vaultSchema, type Env, type VaultConfig } from '@claimline/config';
import type { RecordContext } from '../src/index.js';

export const key = () => randomBytes(32).toString('base64');

export function vaultConfig(env: Env): VaultConfig {
  return loadConfig('vault', vaultSchema, env);
}

export const contextA: RecordContext = {
  serial: 'SN-A-0001',
  certificateId: 'a'.repeat(64),
  purpose: 'private-key',
};
export const contextB: RecordContext = {
  serial: 'SN-B-0002',
  certificateId: 'b'.repeat(64),
  purpose: 'private-key',
};

export const PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHp1Z2dsZXMtdGhlLWNsb3duLXNlY3JldC1rZXk=\n-----END PRIVATE KEY-----\n`;

/** Every form in which plaintext bytes could leak into a string. */
export function expectNoPlaintext(text: string, plaintext: Buffer): void {
  const forms = [
    plaintext.toString('utf8'),
    plaintext.toString('base64'),
    plaintext.toString('hex'),
    [...plaintext.subarray(0, 16)].join(','),
    'MC4CAQAwBQYDK2VwBCIEI',
  ];
  for (const form of forms) expect(text).not.toContain(form);
}

/** Copy of a buffer with one bit flipped. */
export function flipBit(buffer: Buffer, index: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

export async function caught(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
