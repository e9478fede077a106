import { z } from 'zod';
import { secretString, url } from '../fields.js';
import { databaseFields } from './common.js';

/**
 * Where the key-encryption keys (KEKs) of `@claimline/vault` live. Cross-field rules (aws-kms needs a
 * key id and a region; local needs keys) are checked by `createVault`, which names the variable.
 */
export const vaultFields = {
  VAULT_PROVIDER: z
    .enum(['local', 'aws-kms'])
    .default('local')
    .describe('Key-encryption key provider for stored private keys and ownership tokens: local or aws-kms'),
  VAULT_LOCAL_KEYS: secretString()
    .optional()
    .describe(
      'Local KEKs as id:base64(32 bytes), comma-separated; the first one is active (e.g. k2:...,k1:...)',
    ),
  VAULT_LOCAL_KEYS_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Path of a JSON file {"active":"k2","keys":{"k1":"<base64>","k2":"<base64>"}} with the local KEKs',
    ),
  VAULT_KMS_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .describe('AWS KMS key used to wrap data keys: key ARN (preferred), key id or alias/<name>'),
  VAULT_KMS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'must be an AWS region such as eu-west-1' })
    .optional()
    .describe('AWS region of the KMS key'),
  VAULT_KMS_ENDPOINT: url(['http', 'https'])
    .optional()
    .describe('Override of the KMS endpoint URL (a VPC endpoint, or a local fake in tests)'),
};

export const vaultSchema = z.object({ ...vaultFields });

export type VaultConfig = z.output<typeof vaultSchema>;

/** `claimline-vault` (status, rotate, retire): the vault's keys and the database whose rows it re-wraps. */
export const vaultCliSchema = z.object({ ...databaseFields, ...vaultFields });

export type VaultCliConfig = z.output<typeof vaultCliSchema>;
