import { ClaimConnectionError } from './errors.js';
import type { CertificateResult, RegisterThingResult } from './types.js';

function requireString(operation: string, body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '')
    throw new ClaimConnectionError(operation, `accepted answer has no ${field}`);
  return value;
}

function asObject(operation: string, raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null)
    throw new ClaimConnectionError(operation, 'accepted answer is not an object');
  return raw as Record<string, unknown>;
}

/** The same typed result whether the answer came as JSON through the SDK or as CBOR. */
export function parseCertificateResult(operation: string, raw: unknown): CertificateResult {
  const body = asObject(operation, raw);
  const result: CertificateResult = {
    certificateId: requireString(operation, body, 'certificateId'),
    certificatePem: requireString(operation, body, 'certificatePem'),
    certificateOwnershipToken: requireString(operation, body, 'certificateOwnershipToken'),
  };
  if (typeof body.privateKey === 'string') result.privateKey = body.privateKey;
  return result;
}

export function parseRegisterThingResult(operation: string, raw: unknown): RegisterThingResult {
  const body = asObject(operation, raw);
  const configuration = body.deviceConfiguration ?? {};
  if (typeof configuration !== 'object' || configuration === null)
    throw new ClaimConnectionError(operation, 'deviceConfiguration is not an object');
  const deviceConfiguration = Object.fromEntries(
    Object.entries(configuration).map(([key, value]) => [key, String(value)]),
  );
  return { thingName: requireString(operation, body, 'thingName'), deviceConfiguration };
}
