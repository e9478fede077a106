import type { Purpose } from '@claimline/vault';

/**
 * The `certificate` table's two sealed secrets, each stored as four columns (`<prefix>_ciphertext`,
 * `_wrapped_key`, `_kek_id`, `_algorithm`). A shredded secret keeps its kek id but has no wrapped key,
 * so only rows whose wrapped key is present count as using a KEK.
 */
export type SealedColumns = { purpose: Purpose; prefix: 'private_key' | 'ownership_token' };

export const SEALED_COLUMNS: readonly SealedColumns[] = [
  { purpose: 'private-key', prefix: 'private_key' },
  { purpose: 'ownership-token', prefix: 'ownership_token' },
];
