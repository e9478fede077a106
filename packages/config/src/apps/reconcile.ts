import { z } from 'zod';
import { controlPlaneFields } from './control-plane.js';
import { databaseFields, redisFields, stateDirFields } from './common.js';

/**
 * `claimline-reconcile`: the database, Redis (the control-plane quotas are shared through it with
 * every worker) and the control plane.
 */
export const reconcileCliSchema = z.object({
  ...databaseFields,
  ...redisFields,
  ...stateDirFields,
  ...controlPlaneFields,
});

export type ReconcileCliConfig = z.output<typeof reconcileCliSchema>;
