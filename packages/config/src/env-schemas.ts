import type { EnvSchema } from './load-config.js';
import { apiSchema } from './apps/api.js';
import { claimSchema } from './apps/claim.js';
import { migrateSchema } from './apps/database.js';
import { reconcileCliSchema } from './apps/reconcile.js';
import { emulatorSchema } from './apps/emulator.js';
import { stationSchema } from './apps/station.js';
import { testSuiteSchema } from './apps/test-suite.js';
import { vaultCliSchema, vaultSchema } from './apps/vault.js';
import { workerSchema } from './apps/worker.js';

/**
 * Every process's environment schema, by process name. The README's variable table is checked
 * against this list, so a variable cannot be added without being documented.
 */
export const envSchemas: Record<string, EnvSchema> = {
  api: apiSchema,
  claim: claimSchema,
  emulator: emulatorSchema,
  migrate: migrateSchema,
  station: stationSchema,
  tests: testSuiteSchema,
  vault: vaultSchema,
  'claimline-vault': vaultCliSchema,
  'claimline-reconcile': reconcileCliSchema,
  worker: workerSchema,
};
