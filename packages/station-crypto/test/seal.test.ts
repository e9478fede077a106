import { generateKeyPairSync } from 'node:crypto';
import {
  generateStationKeyPair,
  isLegacySealed,
  loadStationPrivateKey,
  openSealed,
  parseStationPublicKey,
  sealToPublicKey,
  StationCryptoError,
  type SealedPayload,
} from '../src/index.js';
import { sealLegacy } from '../src/testing.js';

const binding = {
  serial: 'SN-1',
  certificateId: 'a'.repeat(64),
  stationId: '00000000-0000-4000-8000-000000000001',
};
const secret = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nnot really\n-----END EC PRIVATE KEY-----\n');

function flip(payload: SealedPayload, field: 'ct' | 'enc', index: number): SealedPayload {
  const bytes = Buffer.from(payload[field], 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return { ...payload, [field]: bytes.toString('base64') };
}

describe.each([
  ['x25519', 'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM', 32],
  ['p256', 'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM', 65],
] as const)('HPKE seal to a %s station key', (algorithm, suite, encBytes) => {
  const station = generateStationKeyPair(algorithm);
  const publicPem = station.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('round-trips in the v2 format, with a fresh encapsulated key each time', async () => {
    const a = await sealToPublicKey(secret, publicPem, binding);
    const b = await sealToPublicKey(secret, publicPem, binding);
    expect(a).toMatchObject({ v: 2, suite });
    expect(Buffer.from(a.enc, 'base64')).toHaveLength(encBytes);
    expect(Buffer.from(a.ct, 'base64')).toHaveLength(secret.length + 16);
    expect(a.enc).not.toBe(b.enc);
    expect((await openSealed(a, station.privateKey, binding)).equals(secret)).toBe(true);
    expect(JSON.stringify(a)).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['ct', 3],
    ['enc', 7],
  ] as const)('a flipped byte in %s fails to open', async (field, index) => {
    const sealed = await sealToPublicKey(secret, publicPem, binding);
    await expect(openSealed(flip(sealed, field, index), station.privateKey, binding)).rejects.toThrow(
      StationCryptoError,
    );
  });

  it.each(['serial', 'certificateId', 'stationId'] as const)('another %s fails to open', async (field) => {
    const sealed = await sealToPublicKey(secret, publicPem, binding);
    await expect(
      openSealed(sealed, station.privateKey, { ...binding, [field]: `${binding[field]}x` }),
    ).rejects.toThrow(/failed authentication/);
  });

  it('another station cannot open it; a key of the other curve is told so', async () => {
    const sealed = await sealToPublicKey(secret, publicPem, binding);
    const other = generateStationKeyPair(algorithm);
    await expect(openSealed(sealed, other.privateKey, binding)).rejects.toMatchObject({
      code: 'OPEN_FAILED',
    });
    const otherCurve = generateStationKeyPair(algorithm === 'x25519' ? 'p256' : 'x25519');
    await expect(openSealed(sealed, otherCurve.privateKey, binding)).rejects.toThrow(/does not match/);
  });

  it('a v1 payload is refused by openSealed, saying what to do', async () => {
    const legacy = sealLegacy(secret, station.publicKey, binding);
    expect(isLegacySealed(legacy)).toBe(true);
    await expect(
      openSealed(legacy as unknown as SealedPayload, station.privateKey, binding),
    ).rejects.toMatchObject({ code: 'LEGACY_PAYLOAD', message: expect.stringContaining('prefetch') });
  });

  it('a passphrase-protected PKCS#8 key loads only with its passphrase', async () => {
    const pem = station.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    expect(() => loadStationPrivateKey(pem)).toThrow(/passphrase/);
    expect(() => loadStationPrivateKey(pem, 'nope')).toThrow(/passphrase/);
    const key = loadStationPrivateKey(pem, 'pw');
    const sealed = await sealToPublicKey(secret, publicPem, binding);
    expect((await openSealed(sealed, key, binding)).equals(secret)).toBe(true);
  });
});

it('refuses an unknown version, bad base64 and a wrong enc length', async () => {
  const station = generateStationKeyPair();
  const sealed = await sealToPublicKey(secret, station.publicKey, binding);
  const open = (p: unknown) => openSealed(p as SealedPayload, station.privateKey, binding);
  await expect(open({ ...sealed, v: 3 })).rejects.toThrow(/unknown sealed payload version 3/);
  await expect(open({ ...sealed, ct: 'not base64!' })).rejects.toMatchObject({ code: 'MALFORMED_PAYLOAD' });
  await expect(open({ ...sealed, enc: Buffer.alloc(31).toString('base64') })).rejects.toThrow(/wrong length/);
});

it('refuses RSA, P-384 and private keys as station public keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  expect(() => parseStationPublicKey(rsa)).toThrow(/X25519 or P-256/);
  expect(() => parseStationPublicKey(p384)).toThrow(/X25519 or P-256/);
  expect(() => parseStationPublicKey('hello')).toThrow(StationCryptoError);
  expect(parseStationPublicKey(generateStationKeyPair().publicKey).algorithm).toBe(
    'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM',
  );
});
