import type { Logger } from '@claimline/logger';
import { ProvisioningError } from './provisioning-error.js';

export type HookInput = {
  claimCertificateId: string;
  certificateId: string;
  certificatePem: string;
  templateArn: string;
  clientId: string;
  parameters: Record<string, string>;
};

/**
 * Calls a pre-provisioning hook over HTTP (a Lambda in AWS). A denial, an error or a time-out all
 * reject the request with 403; otherwise the parameter overrides are returned.
 */
export async function callHook(
  url: string,
  input: HookInput,
  timeoutMs: number,
  logger: Logger,
): Promise<Record<string, string>> {
  let body: unknown;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`hook answered HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    logger.warn({ err: error, url }, 'pre-provisioning hook failed');
    throw new ProvisioningError('AccessDeniedException', 'pre-provisioning hook failed or timed out');
  }
  const answer = body as { allowProvisioning?: unknown; parameterOverrides?: unknown };
  if (answer?.allowProvisioning !== true)
    throw new ProvisioningError('AccessDeniedException', 'pre-provisioning hook denied provisioning');
  const overrides = answer.parameterOverrides;
  if (typeof overrides !== 'object' || overrides === null) return {};
  return Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)]));
}
