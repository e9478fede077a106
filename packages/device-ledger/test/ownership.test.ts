import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DeviceState } from '@claimline/db';
import { DEVICE_STATES } from '@claimline/station-contract';
import { allows, fromStates, IN_FLIGHT, SETTLED, TRANSITIONS } from '../src/index.js';

const repoRoot = path.resolve(__dirname, '../../..');

/** Every statement or Prisma call that writes the device, certificate or audit tables. */
const WRITES = [
  /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(device|certificate|audit_event)"?[\s(]/i,
  /\.(device|certificate|auditEvent)\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\(/,
];

describe('the device ledger owns every write to a unit', () => {
  it('no source file outside packages/device-ledger writes the device, certificate or audit tables', () => {
    const tracked = execFileSync(
      'git',
      ['ls-files', '-co', '--exclude-standard', 'apps', 'packages', 'scripts'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter((file) => /\.(ts|js|mjs|cjs)$/.test(file))
      .filter((file) => !/(^|\/)(test|bench|dist|generated)\//.test(file))
      .filter((file) => !file.startsWith('packages/device-ledger/'));
    expect(tracked.length).toBeGreaterThan(50);
    const offenders = tracked.flatMap((file) => {
      const lines = fs.readFileSync(path.join(repoRoot, file), 'utf8').split('\n');
      return lines.flatMap((line, i) =>
        WRITES.some((re) => re.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
      );
    });
    expect(offenders).toEqual([]);
  });

  it('the scan itself finds the ledger’s own writes (it is not blind)', () => {
    const source = fs.readFileSync(path.join(__dirname, '../src/provisioning-writes.ts'), 'utf8');
    expect(source.split('\n').filter((line) => WRITES.some((re) => re.test(line))).length).toBeGreaterThan(3);
  });
});

describe('the transition table', () => {
  const states = Object.values(DeviceState);

  it('reaches every state, and every state it names exists', () => {
    const reached = new Set(Object.values(TRANSITIONS).map((t) => t.to));
    for (const state of states)
      if (state !== 'QUEUED') expect([state, reached.has(state)]).toEqual([state, true]);
    for (const t of Object.values(TRANSITIONS)) for (const from of t.from) expect(states).toContain(from);
  });

  it('is the one the station contract and the API name (same states, no more, no fewer)', () => {
    expect([...DEVICE_STATES].sort()).toEqual([...states].sort());
  });

  it('keeps a settled unit out of the provisioning pipeline', () => {
    for (const state of SETTLED) {
      expect(allows('claim', state)).toBe(false);
      expect(IN_FLIGHT).not.toContain(state);
    }
    expect(fromStates('claim')).toEqual([...IN_FLIGHT]);
  });

  it('lets only a FAILED unit be retried and only a QUEUED or AWAITING_CSR one be cancelled', () => {
    expect(states.filter((s) => allows('retry', s))).toEqual(['FAILED']);
    expect(states.filter((s) => allows('cancel', s))).toEqual(['AWAITING_CSR', 'QUEUED']);
    expect(allows('reprovision', 'CLAIMING')).toBe(false);
    expect(allows('burned', 'REGISTERED')).toBe(false);
  });
});
