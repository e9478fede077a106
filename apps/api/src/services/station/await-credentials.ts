import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceState } from '@claimline/db';
import { IN_FLIGHT } from '@claimline/device-ledger';
import { AppError } from '../../errors/app-error.js';
import type { HandlerContext } from '../../http/route.js';
import { downloadCredentials, type Credentials } from './credentials.js';
import type { StationSetup } from './station-setup.js';

/** How often a waiting request looks at the unit again: small against AWS's two calls (~100s of ms). */
const POLL_MS = 100;

/**
 * The download, as a bounded long poll (issue 14): while the unit is still being provisioned (a job owns
 * it) and `waitSeconds` (capped by API_CSR_WAIT_MAX_SECONDS) has not run out, look again; any other
 * answer (credentials, or a refusal such as FAILED with AWS's code) is returned at once.
 */
export async function awaitCredentials(
  ctx: HandlerContext,
  setup: StationSetup,
  serial: string,
  waitSeconds: number,
): Promise<Credentials> {
  const waitMs = Math.min(waitSeconds, ctx.deps.config.API_CSR_WAIT_MAX_SECONDS) * 1000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await downloadCredentials(ctx, setup, serial);
    } catch (error) {
      if (!stillProvisioning(error) || Date.now() + POLL_MS > deadline) throw error;
    }
    await sleep(POLL_MS);
  }
}

function stillProvisioning(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'DEVICE_NOT_PROVISIONED') return false;
  return IN_FLIGHT.includes(error.extras.state as DeviceState);
}
