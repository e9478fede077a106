import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateStationKeyPair, sealToPublicKey } from '../src/index.js';

/**
 * The sealed payload opened by another language's standard HPKE implementation: the Python example in
 * examples/open_sealed.py (shown in apps/station/README.md) runs with `cryptography`'s HPKE (≥ 47,
 * Debian's python3 here has it). In CI it must run; elsewhere a machine without it skips, saying so.
 */
const script = resolve(__dirname, '../examples/open_sealed.py');

function pythonHasHpke(): boolean {
  const probe = spawnSync('python3', ['-c', 'from cryptography.hazmat.primitives import hpke'], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

const available = pythonHasHpke();
if (!available && process.env.CI === undefined)
  console.warn('python-interop: python3 with cryptography >= 47 (HPKE) not found; skipped');
const describeIfPython = available || process.env.CI !== undefined ? describe : describe.skip;

describeIfPython('a sealed key opens in Python (cryptography HPKE)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'claimline-hpke-py-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const binding = {
    serial: 'SN-PY-1',
    certificateId: 'c'.repeat(64),
    stationId: '00000000-0000-4000-8000-0000000000aa',
  };
  const deviceKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

  function write(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, body, { mode: 0o600 });
    return path;
  }

  it.each(['x25519', 'p256'] as const)('%s station key, plain and passphrase-protected', async (alg) => {
    const station = generateStationKeyPair(alg);
    const sealed = await sealToPublicKey(Buffer.from(deviceKeyPem), station.publicKey, binding);
    const creds = write(`creds-${alg}.json`, JSON.stringify({ ...binding, sealedPrivateKey: sealed }));
    const plainKey = write(
      `key-${alg}.pem`,
      station.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const protectedKey = write(
      `key-${alg}-enc.pem`,
      station.privateKey
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'line 4' })
        .toString(),
    );

    expect(execFileSync('python3', [script, creds, plainKey], { encoding: 'utf8' })).toBe(deviceKeyPem);
    expect(execFileSync('python3', [script, creds, protectedKey, 'line 4'], { encoding: 'utf8' })).toBe(
      deviceKeyPem,
    );
  });

  it('refuses a payload bound to another station', async () => {
    const station = generateStationKeyPair('x25519');
    const sealed = await sealToPublicKey(Buffer.from(deviceKeyPem), station.publicKey, binding);
    const creds = write(
      'creds-other.json',
      JSON.stringify({ ...binding, stationId: 'another-station', sealedPrivateKey: sealed }),
    );
    const key = write(
      'key-other.pem',
      station.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const run = spawnSync('python3', [script, creds, key], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/InvalidTag|decrypt|Error/i);
  });
});
