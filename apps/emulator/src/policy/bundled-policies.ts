import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RegistryStore } from '../registry/registry-store.js';
import { parsePolicyDocument, type PolicyDocument } from './policy-document.js';

/** The bundled policy documents (`apps/emulator/policies`), next to `src/` and `dist/`. */
const BUNDLED_POLICIES = resolve(__dirname, '../../policies');
export const BUNDLED_CLAIM_POLICY_FILE = resolve(BUNDLED_POLICIES, 'claim-policy.json');
export const DEFAULT_DEVICE_POLICY_NAME = 'claimline-device';

/** Why the emulator cannot start with a policy file: unreadable or not a valid policy document. */
export class PolicyFileError extends Error {
  constructor(file: string, reason: string) {
    super(`policy file ${file}: ${reason}`);
    this.name = 'PolicyFileError';
  }
}

async function readPolicyFile(file: string): Promise<{ text: string; document: PolicyDocument }> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PolicyFileError(file, error.code ?? error.message);
  });
  const parsed = parsePolicyDocument(text);
  if (!parsed.ok) throw new PolicyFileError(file, parsed.reason);
  return { text, document: parsed.document };
}

/** The claim certificate's policy: the given file, or the one AWS documents for fleet provisioning. */
export async function loadClaimPolicy(file = BUNDLED_CLAIM_POLICY_FILE): Promise<PolicyDocument> {
  return (await readPolicyFile(file)).document;
}

/**
 * Creates the `claimline-device` policy (connect as the thing name, publish/subscribe/receive on
 * `claimline/<thing>/…` and `$aws/things/<thing>/…`) when the account has none with a document, so
 * that templates naming it work as they would in an account where it was created beforehand.
 */
export async function ensureDefaultDevicePolicy(store: RegistryStore): Promise<void> {
  if (store.policies.get(DEFAULT_DEVICE_POLICY_NAME)?.policyDocument !== undefined) return;
  const { text } = await readPolicyFile(resolve(BUNDLED_POLICIES, `${DEFAULT_DEVICE_POLICY_NAME}.json`));
  store.policies.set(DEFAULT_DEVICE_POLICY_NAME, {
    policyName: DEFAULT_DEVICE_POLICY_NAME,
    policyDocument: JSON.stringify(JSON.parse(text)),
  });
  store.changed();
}
