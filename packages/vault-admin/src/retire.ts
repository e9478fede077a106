import type { VaultConfig } from '@claimline/config';
import type { PrismaClient } from '@claimline/db';
import { removeLocalKey, type Vault } from '@claimline/vault';
import { secretsUnderKek } from './kek-usage.js';

export type RetireResult =
  /** The key was removed from VAULT_LOCAL_KEYS_FILE. */
  | { outcome: 'removed-from-file'; kekId: string; path: string }
  /** Nothing uses the KEK; the operator removes it where it is configured (next step in `instruction`). */
  | { outcome: 'unused'; kekId: string; instruction: string }
  | { outcome: 'refused'; kekId: string; reason: 'ACTIVE_KEK' | 'IN_USE' | 'OTHER_PROVIDER'; detail: string };

/** `k1` → `local:k1`; an ARN → `aws-kms:<ARN>`; a qualified id is kept. */
export function qualifyKekId(vault: Vault, kekId: string): string {
  if (kekId.startsWith('local:') || kekId.startsWith('aws-kms:')) return kekId;
  return `${vault.provider}:${kekId}`;
}

/**
 * Retiring a KEK is refused while any stored secret is wrapped under it (run `rotate` first) and for
 * the active KEK. With a local key file the key is removed from the file; otherwise the result says
 * what the operator does next (edit VAULT_LOCAL_KEYS, or disable the key in KMS).
 */
export async function retireKek(input: {
  prisma: PrismaClient;
  vault: Vault;
  config: VaultConfig;
  kekId: string;
}): Promise<RetireResult> {
  const { prisma, vault, config } = input;
  const kekId = qualifyKekId(vault, input.kekId);
  if (!kekId.startsWith(`${vault.provider}:`)) {
    return refused(kekId, 'OTHER_PROVIDER', `this vault uses the ${vault.provider} provider`);
  }
  if (kekId === (await vault.resolveActiveKekId()) || kekId === vault.activeKekId) {
    return refused(kekId, 'ACTIVE_KEK', 'it is the active KEK: make another key active first');
  }
  const inUse = await secretsUnderKek(prisma, kekId);
  if (inUse > 0) {
    return refused(
      kekId,
      'IN_USE',
      `${inUse} stored secret(s) are still wrapped under it: run "claimline-vault rotate" first`,
    );
  }
  const id = kekId.slice(kekId.indexOf(':') + 1);
  if (vault.provider === 'local' && config.VAULT_LOCAL_KEYS_FILE) {
    removeLocalKey(config.VAULT_LOCAL_KEYS_FILE, id);
    return { outcome: 'removed-from-file', kekId, path: config.VAULT_LOCAL_KEYS_FILE };
  }
  const instruction =
    vault.provider === 'local'
      ? `remove the entry "${id}:…" from VAULT_LOCAL_KEYS of every process (API, workers)`
      : `disable the key in KMS (aws kms disable-key --key-id ${id}); schedule its deletion only after your backups no longer hold records wrapped under it`;
  return { outcome: 'unused', kekId, instruction };
}

function refused(kekId: string, reason: 'ACTIVE_KEK' | 'IN_USE' | 'OTHER_PROVIDER', detail: string) {
  return { outcome: 'refused', kekId, reason, detail } as const;
}
