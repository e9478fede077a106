import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openStation } from '../src/station-context.js';
import {
  initStation,
  prefetchBatch,
  readJournal,
  readSettings,
  stationPaths,
  StationError,
} from '../src/index.js';
import { generateKeyPairSync } from 'node:crypto';
import { admin, burnCommand, registerStation, runCli, startLoop, type Loop } from './loop-harness.js';

let loop: Loop;
beforeAll(async () => {
  loop = await startLoop([5, 4, 4]);
}, 60_000);
afterAll(async () => {
  await loop?.close();
});

const dirOf = (name: string) => path.join(loop.root, name);
async function setUpStation(
  name: string,
  extra: { passphraseEnv?: string; algorithm?: 'x25519' | 'p256' } = {},
) {
  const key = await registerStation(loop, name);
  await initStation({
    dir: dirOf(name),
    server: loop.url,
    serverCa: loop.caFile,
    key,
    httpTimeoutMs: 5000,
    ...extra,
  });
  return key;
}

describe('full loop: provisioned through the emulator and a worker, burned by the station CLI', () => {
  it('burns every scanned unit, confirms, shreds the keys, and explains the units it cannot burn', async () => {
    process.env.STATION_TEST_PASSPHRASE = 'correct horse';
    await setUpStation('line-a', { passphraseEnv: 'STATION_TEST_PASSPHRASE' });
    const paths = stationPaths(dirOf('line-a'));
    expect(fs.statSync(paths.privateKey).mode & 0o777).toBe(0o600);
    expect(fs.statSync(paths.settings).mode & 0o777).toBe(0o600);
    expect(fs.statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(paths.privateKey, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    // The defaults: a P-256 signing key, and a fresh API's bundle key is P-256 too.
    const signingKey = createPrivateKey({
      key: fs.readFileSync(paths.signingKey, 'utf8'),
      passphrase: 'correct horse',
    });
    expect(signingKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const settings = readSettings(paths);
    expect(settings.signingAlgorithm).toBe('p256');
    expect(createPublicKey(settings.serverBundleKey).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const images = path.join(loop.root, 'images');
    fs.mkdirSync(images);
    const [good1, good2, good3, good4, failing] = loop.batches[0]!.serials as [
      string,
      string,
      string,
      string,
      string,
    ];
    const stdin = [good1, good2, '', 'NO-SUCH-UNIT', good3, failing, `  ${good4}  `].join('\r\n') + '\n';
    const result = await runCli(
      ['run', '--dir', dirOf('line-a'), '--burn', burnCommand(images), '--thing-name', 'unit-{serial}'],
      {
        stdin,
        env: { STATION_TEST_PASSPHRASE: 'correct horse', FAKE_BURN_FAIL: failing },
      },
    );
    const lines = result.stdout.split('\n');
    expect(result.code).toBe(1); // one unknown serial and one failed burn
    for (const serial of [good1, good2, good3, good4])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^OK +${serial} +burned +thing unit-${serial}`)),
      );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ERROR NO-SUCH-UNIT +UNKNOWN_SERIAL: unknown serial NO-SUCH-UNIT/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^FAIL +${failing} +burn command failed: exit code 3; last output: .*flash write error`),
      ),
    );
    expect(lines).toContainEqual('done: [ok 4 | failed 1 | errors 1]');

    for (const serial of [good1, good2, good3, good4]) {
      const image = JSON.parse(fs.readFileSync(path.join(images, `${serial}.img`), 'utf8')) as {
        cert: string;
        key: string;
        ca: string;
        endpoint: string;
        thingName: string;
      };
      const device = await loop.h.prisma.device.findUniqueOrThrow({
        where: { serial },
        include: { certificates: true },
      });
      const certificate = device.certificates[0]!;
      expect(image.cert).toBe(certificate.certificatePem);
      expect(new X509Certificate(image.cert).checkPrivateKey(createPrivateKey(image.key))).toBe(true);
      // The CA burned with the unit is the endpoint's root (for the device to check the server); the
      // device certificate comes from the separate device issuer, as at AWS.
      expect(image.ca).toBe(fs.readFileSync(loop.h.emulator.files.caPath, 'utf8'));
      expect(new X509Certificate(image.cert).verify(new X509Certificate(image.ca).publicKey)).toBe(false);
      const deviceIssuer = fs.readFileSync(loop.h.emulator.files.deviceIssuerCaPath, 'utf8');
      expect(new X509Certificate(image.cert).verify(new X509Certificate(deviceIssuer).publicKey)).toBe(true);
      expect(image.endpoint).toBe(`${loop.h.emulator.host}:${loop.h.emulator.port}`);
      expect(image.thingName).toBe(`unit-${serial}`);
      expect(device.state).toBe('BURNED');
      expect(device.burnLogDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(certificate).toMatchObject({
        status: 'ACTIVE',
        privateKeyCiphertext: null,
        privateKeyWrappedKey: null,
      });
      expect(certificate.shreddedAt).toBeInstanceOf(Date);
      const downloads = await loop.h.prisma.auditEvent.findMany({
        where: { deviceId: device.id, action: 'station.download' },
      });
      expect(downloads).toEqual([
        expect.objectContaining({ actor: 'station:line-a', origin: expect.stringContaining('127.0.0.1') }),
      ]);
    }
    expect((await loop.h.prisma.device.findUniqueOrThrow({ where: { serial: failing } })).state).toBe(
      'BURN_FAILED',
    );
    // Nothing of the burns is left on the station's disk.
    expect(fs.readdirSync(paths.work)).toEqual([]);
  });

  it('a second station cannot download a unit held by the first until an admin reassigns it', async () => {
    await setUpStation('line-b', { algorithm: 'p256' });
    const { client: clientB, settings: settingsB } = openStation({
      dir: dirOf('line-b'),
      httpTimeoutMs: 5000,
    });
    const held = loop.batches[0]!.serials[4]!; // BURN_FAILED, held by line-a
    await expect(clientB.credentials(held)).rejects.toMatchObject({ code: 'OTHER_STATION' });
    const burned = loop.batches[0]!.serials[0]!;
    await expect(clientB.credentials(burned)).rejects.toMatchObject({ code: 'ALREADY_BURNED' });
    const reassign = await loop.fetch(`${loop.url}/v1/devices/${held}/reassign`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${loop.adminKey}` },
    });
    expect(reassign.status).toBe(200);
    expect((await clientB.credentials(held)).sealedPrivateKey?.suite).toBe(
      'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM',
    );

    // A pinned device-issuer CA: the endpoint's root is not the issuer and is refused; the emulator's
    // device issuer is, and the unit burns.
    const images = path.join(loop.root, 'images-pinned');
    fs.mkdirSync(images);
    const pinned = (file: string) =>
      runCli(['run', '--dir', dirOf('line-b'), '--burn', burnCommand(images), '--device-issuer-ca', file], {
        stdin: `${held}\n`,
      });
    const wrongPin = await pinned(loop.h.emulator.files.caPath);
    expect(wrongPin.stdout).toMatch(
      new RegExp(`ERROR ${held} +VERIFY_FAILED: .*not issued by the pinned device-issuer CA`),
    );
    const missingPin = await pinned(path.join(loop.root, 'no-such-ca.pem'));
    expect(missingPin.code).toBe(1);
    expect(missingPin.stderr).toMatch(
      /BAD_DEVICE_ISSUER_CA: device-issuer CA .*no-such-ca\.pem: cannot be read \(ENOENT\)/,
    );
    const rightPin = await pinned(loop.h.emulator.files.deviceIssuerCaPath);
    expect(rightPin.stdout).toMatch(new RegExp(`OK +${held} +burned`));
    // A station key cannot call the MES endpoints.
    const mes = await loop.fetch(`${loop.url}/v1/batches`, {
      headers: { Authorization: `Bearer ${settingsB.apiKey}` },
    });
    expect(mes.status).toBe(403);
  });

  it('says the server is unreachable, with the offline hint', async () => {
    const paths = stationPaths(dirOf('line-b'));
    const unreachable = dirOf('line-b-unreachable');
    fs.cpSync(paths.dir, unreachable, { recursive: true });
    const settings = JSON.parse(fs.readFileSync(path.join(unreachable, 'station.json'), 'utf8'));
    fs.writeFileSync(
      path.join(unreachable, 'station.json'),
      JSON.stringify({ ...settings, server: 'http://127.0.0.1:59999' }),
    );
    const result = await runCli(['run', '--dir', unreachable, '--burn', 'true'], { stdin: 'ANY-1\n' });
    expect(result.stdout).toMatch(
      /ERROR ANY-1 +SERVER_UNREACHABLE: server http:\/\/127\.0\.0\.1:59999 unreachable \(ECONNREFUSED\).*run --offline/,
    );
  });
});

describe('offline: prefetch, burn without the server across a restart, sync', () => {
  it('loses no confirmation, refuses a tampered payload, and re-syncing is harmless', async () => {
    await setUpStation('line-c');
    const dir = dirOf('line-c');
    const paths = stationPaths(dir);
    const { batchId, serials } = loop.batches[1]!;
    const { stored } = await prefetchBatch({ dir, httpTimeoutMs: 5000, batch: batchId, progress: false });
    expect(stored).toBe(4);
    for (const file of fs.readdirSync(paths.offline))
      expect(fs.readFileSync(path.join(paths.offline, file), 'utf8')).not.toContain('PRIVATE KEY');
    expect(await loop.h.prisma.device.count({ where: { batchId, state: 'DOWNLOADED' } })).toBe(4);

    // Tamper with one stored payload: one flipped byte.
    const [s0, s1, s2, tampered] = serials as [string, string, string, string];
    const file = path.join(paths.offline, `${Buffer.from(tampered).toString('base64url')}.json`);
    const creds = JSON.parse(fs.readFileSync(file, 'utf8'));
    const ct = Buffer.from(creds.sealedPrivateKey!.ct, 'base64');
    ct[20] = ct[20]! ^ 0x01;
    creds.sealedPrivateKey!.ct = ct.toString('base64');
    fs.writeFileSync(file, JSON.stringify(creds));

    const images = path.join(loop.root, 'images-offline');
    fs.mkdirSync(images);
    // The server URL is made unreachable: offline work must not need it.
    const settings = JSON.parse(fs.readFileSync(paths.settings, 'utf8'));
    fs.writeFileSync(paths.settings, JSON.stringify({ ...settings, server: 'http://127.0.0.1:59999' }));
    const first = await runCli(['run', '--offline', '--dir', dir, '--burn', burnCommand(images)], {
      stdin: `${s0}\n${tampered}\n`,
    });
    expect(first.stdout).toMatch(new RegExp(`OK +${s0} +burned`));
    expect(first.stdout).toMatch(
      new RegExp(`ERROR ${tampered} +VERIFY_FAILED: .*the bundle signature does not verify`),
    );
    // "Restart": a new process carries on.
    const second = await runCli(['run', '--offline', '--dir', dir, '--burn', burnCommand(images)], {
      stdin: `${s1}\n${s2}\n`,
    });
    expect(second.code).toBe(0);
    expect(readJournal(paths).entries.map((e) => e.serial)).toEqual([s0, s1, s2]);
    expect(fs.existsSync(file)).toBe(true); // the tampered unit stays; the burned ones are wiped
    expect(fs.readdirSync(paths.offline)).toHaveLength(1);
    expect(await loop.h.prisma.device.count({ where: { batchId, state: 'BURNED' } })).toBe(0);

    // Sync with the server back, from yet another process.
    fs.writeFileSync(paths.settings, JSON.stringify(settings));
    const synced = await runCli(['sync', '--dir', dir]);
    expect(synced.stdout).toContain('sync: 3 uploaded, 0 rejected, 0 pending');
    expect(
      await loop.h.prisma.device.count({ where: { serial: { in: [s0, s1, s2] }, state: 'BURNED' } }),
    ).toBe(3);
    const shredded = await loop.h.prisma.certificate.count({
      where: { device: { serial: { in: [s0, s1, s2] } }, privateKeyCiphertext: null },
    });
    expect(shredded).toBe(3);
    // Re-sending every confirmation (as after a crash before journal.synced was written) changes nothing.
    fs.rmSync(paths.synced);
    const again = await runCli(['sync', '--dir', dir]);
    expect(again.stdout).toContain('sync: 3 uploaded, 0 rejected, 0 pending');
    expect(
      await loop.h.prisma.auditEvent.count({ where: { action: 'station.burned', device: { batchId } } }),
    ).toBe(3);

    const status = await runCli(['status', '--dir', dir]);
    expect(status.stdout).toContain('offline store: 1 unit(s); journal: 0 confirmation(s) to sync');
    expect(status.stdout).toMatch(new RegExp(`${batchId} +WO-ST1- +4 +0 +0 +1 +3 +0 +`));
  });
});

describe('trust chain (issue 13): HTTPS only, pinned bundles, approved keys, revocation', () => {
  it('refuses plain HTTP to another machine unless --insecure-http, which it warns about', async () => {
    const dir = dirOf('insecure');
    const refused = await runCli([
      'init',
      '--dir',
      dir,
      '--server',
      'http://api.example.invalid:8080',
      '--key',
      'cl_x',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/INSECURE_SERVER: http:\/\/api\.example\.invalid:8080 is plain HTTP/);
    const allowed = await runCli([
      'init',
      '--insecure-http',
      '--dir',
      dir,
      '--server',
      'http://api.example.invalid:8080',
      '--key',
      'cl_x',
    ]);
    expect(allowed.stderr).toContain('WARNING: --insecure-http');
    expect(allowed.stderr).toContain('SERVER_UNREACHABLE');
  });

  it('refuses a bundle signed by another key, another endpoint or CA; re-keying waits for approval; revocation stops it', async () => {
    const key = await registerStation(loop, 'line-t');
    const dir = dirOf('line-t');
    const init = await runCli([
      'init',
      '--dir',
      dir,
      '--server',
      loop.url,
      '--server-ca',
      loop.caFile,
      '--key',
      key,
    ]);
    expect(init.stdout).toContain('keys ACTIVE');
    const paths = stationPaths(dir);
    const settings = JSON.parse(fs.readFileSync(paths.settings, 'utf8')) as Record<string, string>;
    const images = path.join(loop.root, 'images-trust');
    fs.mkdirSync(images);
    const [t0, t1, t2] = loop.batches[2]!.serials as [string, string, string];
    const run = (serial: string, changed: Record<string, string> = {}) => {
      fs.writeFileSync(paths.settings, JSON.stringify({ ...settings, ...changed }));
      return runCli(['run', '--dir', dir, '--burn', burnCommand(images)], { stdin: `${serial}\n` });
    };
    const otherKey = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect((await run(t0, { serverBundleKey: otherKey })).stdout).toMatch(
      new RegExp(`ERROR ${t0} +BUNDLE_REFUSED: .*signed by another key than the pinned server key`),
    );
    expect((await run(t0, { deviceEndpoint: 'evil.example:8883' })).stdout).toMatch(
      new RegExp(`ERROR ${t0} +VERIFY_FAILED: .*not the pinned evil\\.example:8883`),
    );
    expect((await run(t0, { deviceCaPem: fs.readFileSync(loop.caFile, 'utf8') })).stdout).toMatch(
      new RegExp(`ERROR ${t0} +VERIFY_FAILED: .*the endpoint CA is not the pinned one`),
    );
    expect(fs.readdirSync(images)).toEqual([]);
    expect((await run(t0)).stdout).toMatch(new RegExp(`OK +${t0} +burned`));

    // New keys on the same station: pending until an ADMIN compares fingerprints and approves them.
    const rekey = await runCli([
      'init',
      '--force',
      '--dir',
      dir,
      '--server',
      loop.url,
      '--server-ca',
      loop.caFile,
      '--key',
      key,
    ]);
    expect(rekey.stdout).toContain('keys PENDING');
    const pending = await run(
      t1,
      JSON.parse(fs.readFileSync(paths.settings, 'utf8')) as Record<string, string>,
    );
    expect(pending.stdout).toMatch(new RegExp(`ERROR ${t1} +KEY_PENDING`));
    const view = await admin(loop, 'GET', '/v1/stations/line-t');
    const { fingerprint, signingFingerprint } = view.body.pending as Record<string, string>;
    const stated = { fingerprint: fingerprint!, signingFingerprint: signingFingerprint! };
    expect(rekey.stdout).toContain(stated.fingerprint);
    expect(rekey.stdout).toContain(stated.signingFingerprint);
    expect((await admin(loop, 'POST', '/v1/stations/line-t/key/approve', stated)).status).toBe(200);
    Object.assign(settings, JSON.parse(fs.readFileSync(paths.settings, 'utf8')));
    expect((await run(t1)).stdout).toMatch(new RegExp(`OK +${t1} +burned`));

    expect((await admin(loop, 'POST', '/v1/stations/line-t/revoke')).status).toBe(200);
    expect((await run(t2)).stdout).toMatch(new RegExp(`ERROR ${t2} +REVOKED: this station is revoked`));
    expect((await loop.h.prisma.device.findUniqueOrThrow({ where: { serial: t2 } })).state).toBe(
      'REGISTERED',
    );
  });
});

it('StationError is what the client throws for operator problems', () => {
  expect(new StationError('UNKNOWN_SERIAL', 'x')).toBeInstanceOf(Error);
});
