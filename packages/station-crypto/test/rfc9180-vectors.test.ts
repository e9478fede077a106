import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hpkeOpen, hpkeSeal } from '../src/hpke.js';
import { sealSuiteOf } from '../src/index.js';

/** RFC 9180's published vectors for our two suites (see the fixture's `source`). */
type Vector = {
  mode: number;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmE: string;
  skRm: string;
  pkRm: string;
  enc: string;
  encryptions: { aad: string; ct: string; pt: string }[];
};
const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures/rfc9180-vectors.json'), 'utf8'),
) as { vectors: Vector[] };

const hex = (s: string) => Buffer.from(s, 'hex');
const b64url = (b: Buffer) => b.toString('base64url');

/** The vector's raw keys as Node key objects, the form a station and the API hold them in. */
function nodeKeys(v: Vector): { privateKey: KeyObject; publicKey: KeyObject } {
  const pk = hex(v.pkRm);
  const jwk =
    v.kem_id === 0x20
      ? { kty: 'OKP', crv: 'X25519', x: b64url(pk), d: b64url(hex(v.skRm)) }
      : {
          kty: 'EC',
          crv: 'P-256',
          x: b64url(pk.subarray(1, 33)),
          y: b64url(pk.subarray(33, 65)),
          d: b64url(hex(v.skRm)),
        };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

it('the fixture holds exactly the base-mode vectors of both suites', () => {
  expect(fixture.vectors.map((v) => [v.mode, v.kem_id, v.kdf_id, v.aead_id]).sort()).toEqual([
    [0, 0x10, 1, 2],
    [0, 0x20, 1, 2],
  ]);
});

describe.each(fixture.vectors.map((v) => [v.kem_id === 0x20 ? 'X25519' : 'P-256', v] as const))(
  'RFC 9180 base mode, DHKEM(%s, HKDF-SHA256), HKDF-SHA256, AES-256-GCM',
  (_name, v) => {
    const keys = nodeKeys(v);
    const [first] = v.encryptions as [Vector['encryptions'][number]];

    it('selects the suite from the key type', () => {
      expect(sealSuiteOf(keys.publicKey)).toBe(
        v.kem_id === 0x20
          ? 'DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM'
          : 'DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM',
      );
    });

    it('opens the published ciphertext', async () => {
      const pt = await hpkeOpen(keys.privateKey, hex(v.enc), hex(v.info), hex(first.aad), hex(first.ct));
      expect(pt.toString('hex')).toBe(first.pt);
    });

    it('with the published ephemeral key material, seals to the published enc and ciphertext', async () => {
      const sealed = await hpkeSeal(keys.publicKey, hex(v.info), hex(first.aad), hex(first.pt), hex(v.ikmE));
      expect(sealed.enc.toString('hex')).toBe(v.enc);
      expect(sealed.ct.toString('hex')).toBe(first.ct);
    });

    it('refuses the ciphertext under another info or AAD', async () => {
      await expect(
        hpkeOpen(keys.privateKey, hex(v.enc), Buffer.from('other'), hex(first.aad), hex(first.ct)),
      ).rejects.toThrow();
      await expect(
        hpkeOpen(keys.privateKey, hex(v.enc), hex(v.info), Buffer.from('other'), hex(first.ct)),
      ).rejects.toThrow();
    });
  },
);
