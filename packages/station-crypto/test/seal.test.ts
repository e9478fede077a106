import { generateKeyPairSync } from 'node:crypto';
import {
  generateStationKeyPair,
  loadStationPrivateKey,
  openSealed,
  parseStationPublicKey,
  sealToPublicKey,
  StationCryptoError,
  type SealedPayload,
} from '../src/index.js';

const binding = {
  serial: 'SN-1',
  certificateId: 'a'.repeat(64),
  stationId: '00000000-0000-4000-8000-000000000001',
};
const secret = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nnot really\n-----END EC PRIVATE KEY-----\n');

function flip(payload: SealedPayload, field: 'ct' | 'iv' | 'epk', index = 5): SealedPayload {
  const bytes = Buffer.from(payload[field], 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return { ...payload, [field]: bytes.toString('base64') };
}

describe.each(['x25519', 'p256'] as const)('seal to a %s station key', (algorithm) => {
  const station = generateStationKeyPair(algorithm);
  const publicPem = station.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('round-trips, with a fresh ephemeral key and IV each time', () => {
    const a = sealToPublicKey(secret, publicPem, binding);
    const b = sealToPublicKey(secret, publicPem, binding);
    expect(a.epk).not.toBe(b.epk);
    expect(a.iv).not.toBe(b.iv);
    expect(openSealed(a, station.privateKey, binding).equals(secret)).toBe(true);
    expect(JSON.stringify(a)).not.toContain('PRIVATE KEY');
  });

  it.each(['ct', 'iv', 'epk'] as const)('a flipped byte in %s fails to open', (field) => {
    const sealed = sealToPublicKey(secret, publicPem, binding);
    expect(() =>
      openSealed(flip(sealed, field, field === 'epk' ? 40 : 3), station.privateKey, binding),
    ).toThrow(StationCryptoError);
  });

  it.each(['serial', 'certificateId', 'stationId'] as const)('another %s fails to open', (field) => {
    const sealed = sealToPublicKey(secret, publicPem, binding);
    expect(() =>
      openSealed(sealed, station.privateKey, { ...binding, [field]: `${binding[field]}x` }),
    ).toThrow(/failed authentication/);
  });

  it('another station cannot open it', () => {
    const sealed = sealToPublicKey(secret, publicPem, binding);
    const other = generateStationKeyPair(algorithm);
    expect(() => openSealed(sealed, other.privateKey, binding)).toThrow(StationCryptoError);
  });

  it('a passphrase-protected PKCS#8 key loads only with its passphrase', () => {
    const pem = station.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    expect(() => loadStationPrivateKey(pem)).toThrow(/passphrase/);
    expect(() => loadStationPrivateKey(pem, 'nope')).toThrow(/passphrase/);
    const key = loadStationPrivateKey(pem, 'pw');
    expect(openSealed(sealToPublicKey(secret, publicPem, binding), key, binding).equals(secret)).toBe(true);
  });
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
    'X25519-HKDF-SHA256-A256GCM',
  );
});
