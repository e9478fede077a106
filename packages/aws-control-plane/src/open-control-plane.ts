import type { Redis } from 'ioredis';
import type { ControlPlaneConfig } from '@claimline/config';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
import { limitsOf } from './operations.js';
import { isControlPlaneSettings, loadControlPlaneSettings } from './settings.js';

export type OpenedControlPlane =
  { controlPlane: ControlPlane } | { controlPlane?: undefined; reason: string };

/**
 * The control plane a process's configuration asks for, or why there is none (claimline then runs
 * without it). The one place a process turns `CONTROL_PLANE_*` into a client.
 */
export async function openControlPlane(
  config: ControlPlaneConfig & { QUEUE_PREFIX: string },
  redis: Redis,
  hooks: Pick<ControlPlaneOptions, 'onWait' | 'onCall'> = {},
): Promise<OpenedControlPlane> {
  const settings = await loadControlPlaneSettings(config);
  if (!isControlPlaneSettings(settings)) return { reason: settings.reason };
  return {
    controlPlane: createControlPlane({
      settings,
      redis,
      keyPrefix: config.QUEUE_PREFIX,
      limits: limitsOf(config),
      guardMs: config.CONTROL_PLANE_QUOTA_GUARD_MS,
      ...hooks,
    }),
  };
}
