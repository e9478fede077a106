import { emulatorRegistry, type System } from './system';

/**
 * The database (read with SQL after the run) against the emulator's registry (its admin API): the
 * invariants every scenario ends with. Returns a list of human-readable violations (empty = all good),
 * so a failure names every device that is wrong instead of the first.
 */

export type DeviceRow = { id: string; serial: string; state: string; thing_name: string | null };
export type CertificateRow = {
  certificate_id: string;
  device_id: string;
  status: string;
  certificate_pem: string;
};

export type Snapshot = {
  devices: DeviceRow[];
  certificates: CertificateRow[];
  activeByDevice: Map<string, CertificateRow[]>;
};

export async function readDatabase(system: System, batchIds: string[]): Promise<Snapshot> {
  const devices = await system.db.query<DeviceRow>(
    'SELECT id, serial, state::text AS state, thing_name FROM device WHERE batch_id = ANY($1::uuid[]) ORDER BY serial',
    [batchIds],
  );
  const certificates = await system.db.query<CertificateRow>(
    `SELECT c.certificate_id, c.device_id, c.status::text AS status, c.certificate_pem
       FROM certificate c JOIN device d ON d.id = c.device_id WHERE d.batch_id = ANY($1::uuid[])`,
    [batchIds],
  );
  const activeByDevice = new Map<string, CertificateRow[]>();
  for (const c of certificates) {
    if (c.status !== 'ACTIVE') continue;
    activeByDevice.set(c.device_id, [...(activeByDevice.get(c.device_id) ?? []), c]);
  }
  return { devices, certificates, activeByDevice };
}

/**
 * - every device is in one of `allowedStates` with exactly one ACTIVE certificate;
 * - that certificate is ACTIVE in the emulator, attached to the device's thing, with the same PEM;
 * - the thing has no other ACTIVE certificate (the emulator and the database list the same ACTIVE ids);
 * - every ORPHANED certificate of the database is not ACTIVE in the emulator;
 * - the emulator has no thing for these serials that the database does not know.
 */
export async function registryViolations(
  system: System,
  snapshot: Snapshot,
  allowedStates: string[],
  thingPrefix = 'claimline-',
): Promise<string[]> {
  const { certificates, things } = await emulatorRegistry(system);
  const problems: string[] = [];
  const thingNames = new Set<string>();
  for (const device of snapshot.devices) {
    const where = `device ${device.serial}`;
    if (!allowedStates.includes(device.state))
      problems.push(`${where}: state ${device.state}, expected ${allowedStates.join('/')}`);
    const active = snapshot.activeByDevice.get(device.id) ?? [];
    if (active.length !== 1) {
      problems.push(`${where}: ${active.length} ACTIVE certificates in the database`);
      continue;
    }
    const mine = active[0]!;
    if (!device.thing_name) {
      problems.push(`${where}: no thing name in the database`);
      continue;
    }
    thingNames.add(device.thing_name);
    const thing = things.get(device.thing_name);
    if (!thing) {
      problems.push(`${where}: thing ${device.thing_name} missing in the emulator`);
      continue;
    }
    const emulated = certificates.get(mine.certificate_id);
    if (!emulated)
      problems.push(`${where}: ACTIVE certificate ${mine.certificate_id} unknown to the emulator`);
    else {
      if (emulated.status !== 'ACTIVE')
        problems.push(`${where}: certificate ${mine.certificate_id} is ${emulated.status} in the emulator`);
      if (emulated.certificatePem.trim() !== mine.certificate_pem.trim())
        problems.push(`${where}: certificate ${mine.certificate_id} PEM differs from the emulator's`);
    }
    if (!thing.certificateIds.includes(mine.certificate_id))
      problems.push(`${where}: certificate ${mine.certificate_id} not attached to thing ${thing.thingName}`);
    const activeInEmulator = thing.certificateIds.filter((id) => certificates.get(id)?.status === 'ACTIVE');
    const extra = activeInEmulator.filter((id) => id !== mine.certificate_id);
    if (extra.length > 0) {
      const dbStatus = extra.map(
        (id) =>
          `${id.slice(0, 12)}… (database: ${snapshot.certificates.find((c) => c.certificate_id === id)?.status ?? 'unknown'})`,
      );
      const knownLimit = extra.some(
        (id) => snapshot.certificates.find((c) => c.certificate_id === id)?.status === 'ORPHANED',
      )
        ? ' — AWS registered a certificate whose answer never reached the database, and it was not resolved (docs/worker.md, "A lost RegisterThing answer")'
        : '';
      problems.push(
        `${where}: thing ${thing.thingName} has ACTIVE certificates the database does not list as ACTIVE: ${dbStatus.join(', ')}${knownLimit}`,
      );
    }
  }
  for (const c of snapshot.certificates) {
    if (c.status === 'ORPHANED' && certificates.get(c.certificate_id)?.status === 'ACTIVE') {
      const serial = snapshot.devices.find((d) => d.id === c.device_id)?.serial;
      problems.push(
        `device ${serial}: ORPHANED certificate ${c.certificate_id} is ACTIVE in the emulator (thing ${certificates.get(c.certificate_id)?.thingName})`,
      );
    }
  }
  const serials = new Set(snapshot.devices.map((d) => d.serial));
  for (const thing of things.values()) {
    const serial = thing.thingName.startsWith(thingPrefix)
      ? thing.thingName.slice(thingPrefix.length)
      : undefined;
    if (serial && serials.has(serial) && !thingNames.has(thing.thingName))
      problems.push(`emulator thing ${thing.thingName} is not the database's thing of ${serial}`);
  }
  return problems;
}

export function summarize(problems: string[], max = 40): string {
  if (problems.length === 0) return 'no problems';
  return `${problems.length} problem(s):\n${problems.slice(0, max).join('\n')}${problems.length > max ? `\n… ${problems.length - max} more` : ''}`;
}
