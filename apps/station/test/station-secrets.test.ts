import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openSealed, type SealedPayload } from '@claimline/station-crypto';
import { sealLegacy } from '@claimline/station-crypto/testing';
import { initStation, prefetchBatch, readSettings, stationPaths } from '../src/index.js';
import { burnCommand, registerStation, runCli, startLoop, type Loop } from './loop-harness.js';

/**
 * Where device keys must not end up: a programmer that prints the key it was given, and offline stores
 * written in the pre-HPKE format. Everything real (emulator, worker, API, the CLI as child processes).
 */
let loop: Loop;
beforeAll(async () => {
  loop = await startLoop([1, 4], { apiLogLevel: 'debug' });
}, 60_000);
afterAll(async () => {
  await loop?.close();
});

const echoBurn = (outDir: string) =>
  `node ${path.join(__dirname, 'fixtures/echo-key-burn.js')} {key} {serial} ${outDir}`;

/** Pieces of a key in every form the echoing programmer printed it: PEM body lines, base64 and hex of the DER. */
function keyFragments(pem: string): string[] {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  const chunks = (text: string) =>
    Array.from({ length: Math.floor(text.length / 16) }, (_, i) => text.slice(i * 16, i * 16 + 16));
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [
    ...body,
    ...chunks(body.join('')),
    ...chunks(der.toString('base64')),
    ...chunks(der.toString('hex')),
  ];
}

function expectNoKey(where: string, haystack: string, pem: string) {
  expect({ where, leaked: haystack.includes('PRIVATE KEY') }).toEqual({ where, leaked: false });
  const found = keyFragments(pem).filter((fragment) => haystack.includes(fragment));
  expect({ where, found }).toEqual({ where, found: [] });
}

async function setUpStation(name: string) {
  const key = await registerStation(loop, name);
  await initStation({
    dir: path.join(loop.root, name),
    server: loop.url,
    serverCa: loop.caFile,
    key,
    httpTimeoutMs: 5000,
  });
  return path.join(loop.root, name);
}

async function auditOf(serial: string): Promise<string> {
  const events = await loop.h.prisma.auditEvent.findMany({ where: { device: { serial } } });
  return JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

it('a programmer that echoes the key leaves no key material in the audit table, the terminal or the API log', async () => {
  const dir = await setUpStation('echo-online');
  const out = path.join(loop.root, 'echo-online-keys');
  fs.mkdirSync(out);
  const [serial] = loop.batches[0]!.serials as [string];
  const result = await runCli(['run', '--dir', dir, '--burn', echoBurn(out)], { stdin: `${serial}\n` });
  expect(result.stdout).toMatch(
    new RegExp(
      `FAIL +${serial} +burn command failed: exit code 3; last output: .*flash write error at 0x0800`,
    ),
  );
  const pem = fs.readFileSync(path.join(out, `${serial}.key`), 'utf8');
  expect(pem).toContain('PRIVATE KEY'); // the burner really had the key, and printed it

  const audit = await auditOf(serial);
  const [failed] = await loop.h.prisma.auditEvent.findMany({
    where: { action: 'station.burn-failed', device: { serial } },
  });
  expect(failed?.details).toMatchObject({
    exitCode: 3,
    durationMs: expect.any(Number),
    burnLogSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    detail: expect.stringContaining('flash write error at 0x0800'),
  });
  const device = await loop.h.prisma.device.findUniqueOrThrow({ where: { serial } });
  expect(device.burnLogDigest).toBe((failed?.details as { burnLogSha256: string }).burnLogSha256);
  expect(loop.apiLog.join('')).toContain(serial); // the API did log the exchange
  expectNoKey('audit table', audit, pem);
  expectNoKey('terminal', result.stdout + result.stderr, pem);
  expectNoKey('API log', loop.apiLog.join('\n'), pem);
});

describe('offline', () => {
  let dir: string;
  const serials = () => loop.batches[1]!.serials as [string, string, string, string];
  const fileOf = (serial: string) =>
    path.join(stationPaths(dir).offline, `${Buffer.from(serial).toString('base64url')}.json`);
  const payloadOf = (serial: string) =>
    (JSON.parse(fs.readFileSync(fileOf(serial), 'utf8')) as { sealedPrivateKey: SealedPayload })
      .sealedPrivateKey;

  beforeAll(async () => {
    dir = await setUpStation('offline-line');
    const { stored } = await prefetchBatch({
      dir,
      httpTimeoutMs: 5000,
      batch: loop.batches[1]!.batchId,
      progress: false,
    });
    expect(stored).toBe(4);
  });

  it('an offline store in the pre-HPKE format is named at start and refused when scanned; prefetching again replaces it', async () => {
    const paths = stationPaths(dir);
    const stationKey = createPrivateKey(fs.readFileSync(paths.privateKey, 'utf8'));
    const { stationId } = readSettings(paths);
    const [first, second, third] = serials();
    // Rewrite three stored units as a station of the previous version stored them (v1, before HPKE
    // and before signed bundles): the payload is genuine, but nothing proves where it came from.
    for (const serial of [first, second, third]) {
      const creds = JSON.parse(fs.readFileSync(fileOf(serial), 'utf8'));
      const binding = { serial, certificateId: creds.certificateId, stationId };
      const plaintext = await openSealed(creds.sealedPrivateKey, stationKey, binding);
      const legacy = sealLegacy(plaintext, createPublicKey(stationKey), binding);
      fs.writeFileSync(fileOf(serial), JSON.stringify({ ...creds, sealedPrivateKey: legacy }));
    }
    const images = path.join(loop.root, 'images-pre-hpke');
    fs.mkdirSync(images);
    const refused = await runCli(['run', '--offline', '--dir', dir, '--burn', burnCommand(images)], {
      stdin: `${first}\n`,
    });
    expect(refused.stdout).toContain(
      'offline store: 3 unit(s) were prefetched by an earlier station version',
    );
    expect(refused.stdout).toMatch(new RegExp(`ERROR ${first} +VERIFY_FAILED`));
    expect(fs.readdirSync(images)).toEqual([]);
    expect(payloadOf(first)).toMatchObject({ v: 1 });
    // Prefetching the batch again stores signed HPKE bundles in their place; they burn offline.
    await prefetchBatch({ dir, httpTimeoutMs: 5000, batch: loop.batches[1]!.batchId, progress: false });
    expect(payloadOf(first)).toMatchObject({ v: 2 });
    const burned = await runCli(['run', '--offline', '--dir', dir, '--burn', burnCommand(images)], {
      stdin: `${first}\n${second}\n`,
    });
    expect(burned.stdout).not.toContain('earlier station version');
    expect(burned.stdout).toMatch(new RegExp(`OK +${first} +burned`));
    expect(burned.stdout).toMatch(new RegExp(`OK +${second} +burned`));
    const image = JSON.parse(fs.readFileSync(path.join(images, `${first}.img`), 'utf8'));
    expect(image.key).toContain('PRIVATE KEY');
  });

  it('a failed offline burn of an echoing programmer leaves no key material in the journal, nor after sync in the audit', async () => {
    const serial = serials()[3];
    const out = path.join(loop.root, 'echo-offline-keys');
    fs.mkdirSync(out);
    const result = await runCli(['run', '--offline', '--dir', dir, '--burn', echoBurn(out)], {
      stdin: `${serial}\n`,
    });
    expect(result.stdout).toMatch(new RegExp(`FAIL +${serial} +burn command failed: exit code 3`));
    const pem = fs.readFileSync(path.join(out, `${serial}.key`), 'utf8');
    const journal = fs.readFileSync(stationPaths(dir).journal, 'utf8');
    expect(journal).toContain('flash write error at 0x0800');
    expect(journal).toMatch(/"exitCode":3/);
    expectNoKey('journal', journal, pem);
    expectNoKey('terminal', result.stdout + result.stderr, pem);
    const synced = await runCli(['sync', '--dir', dir]);
    expect(synced.stdout).toContain('sync: 3 uploaded, 0 rejected, 0 pending');
    const audit = await auditOf(serial);
    expect(audit).toContain('flash write error at 0x0800');
    expectNoKey('audit table', audit, pem);
    expectNoKey('API log', loop.apiLog.join('\n'), pem);
  });
});
