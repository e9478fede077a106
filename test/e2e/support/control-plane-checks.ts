import path from 'node:path';
import { openControlPlane, type ControlPlane } from '@claimline/aws-control-plane';
import { controlPlaneSchema } from '@claimline/config';
import { createRedisConnection } from '@claimline/jobs';
import type { Snapshot } from './checks';
import type { System } from './system';

/**
 * The invariants of issue 12, asked of the emulator through its AWS IoT control plane (SigV4, the same
 * client claimline uses, quotas off) rather than its admin API:
 * - every thing has exactly one ACTIVE certificate, and it is the database's ACTIVE one;
 * - every ORPHANED or REVOKED certificate is inactive or gone at the emulator;
 * - no ORPHANED, REVOKING or REVOKED certificate keeps key material (or a token) in the database.
 * Returns human-readable violations (empty = all good).
 */
export async function controlPlaneViolations(system: System, snapshot: Snapshot): Promise<string[]> {
  const redis = createRedisConnection(system.redisUrl, 'producer');
  redis.on('error', () => undefined);
  const zero = Object.fromEntries(
    Object.keys(controlPlaneSchema.shape)
      .filter((key) => key.startsWith('CONTROL_PLANE_QUOTA_') && key.endsWith('_PER_SECOND'))
      .map((key) => [key, '0']),
  );
  const opened = await openControlPlane(
    {
      ...controlPlaneSchema.parse({
        CONTROL_PLANE: 'emulator',
        CONTROL_PLANE_CLIENT_FILE: path.join(system.emulatorStateDir, 'client', 'control-plane.json'),
        ...zero,
      }),
      QUEUE_PREFIX: `${system.prefix}-checks`,
    },
    redis,
  );
  if (!opened.controlPlane) throw new Error(`no emulator control plane: ${opened.reason}`);
  try {
    return [
      ...(await thingViolations(opened.controlPlane, snapshot)),
      ...(await keyViolations(system, snapshot)),
    ];
  } finally {
    opened.controlPlane.close();
    redis.disconnect();
  }
}

async function statusesAtAws(cp: ControlPlane): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  let marker: string | undefined;
  do {
    const page = await cp.listCertificates(marker ? { marker } : {});
    for (const c of page.items) statuses.set(c.certificateId, c.status);
    marker = page.next;
  } while (marker);
  return statuses;
}

async function thingViolations(cp: ControlPlane, snapshot: Snapshot): Promise<string[]> {
  const problems: string[] = [];
  const statuses = await statusesAtAws(cp);
  for (const device of snapshot.devices) {
    const mine = snapshot.activeByDevice.get(device.id) ?? [];
    if (!device.thing_name) {
      problems.push(`device ${device.serial}: no thing`);
      continue;
    }
    const principals = (await cp.listThingPrincipals(device.thing_name)) ?? [];
    const active = principals
      .map((arn) => arn.slice(arn.lastIndexOf('/') + 1))
      .filter((id) => statuses.get(id) === 'ACTIVE');
    if (active.length !== 1 || mine.length !== 1 || active[0] !== mine[0]!.certificate_id)
      problems.push(
        `device ${device.serial}: thing ${device.thing_name} has ACTIVE ${JSON.stringify(active)} at AWS, the database ${JSON.stringify(mine.map((c) => c.certificate_id))}`,
      );
  }
  for (const c of snapshot.certificates) {
    if (c.status !== 'ORPHANED' && c.status !== 'REVOKED') continue;
    const status = statuses.get(c.certificate_id);
    if (status === 'ACTIVE' || status === 'PENDING_ACTIVATION')
      problems.push(`${c.status} certificate ${c.certificate_id} is ${status} at AWS`);
  }
  return problems;
}

async function keyViolations(system: System, snapshot: Snapshot): Promise<string[]> {
  const ids = snapshot.certificates.map((c) => c.certificate_id);
  const rows = await system.db.query<{ certificate_id: string; status: string }>(
    `SELECT certificate_id, status::text AS status FROM certificate
      WHERE certificate_id = ANY($1::text[]) AND status IN ('ORPHANED', 'REVOKING', 'REVOKED')
        AND (private_key_ciphertext IS NOT NULL OR private_key_wrapped_key IS NOT NULL
          OR ownership_token_ciphertext IS NOT NULL OR ownership_token_wrapped_key IS NOT NULL)`,
    [ids],
  );
  return rows.map((r) => `${r.status} certificate ${r.certificate_id} keeps key material`);
}
