import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type Kind = 'p256' | 'p384' | 'rsa2048' | 'rsa1024';

type KeyGen = webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;

const ALGORITHMS: Record<Kind, KeyGen> = {
  p256: { name: 'ECDSA', namedCurve: 'P-256' },
  p384: { name: 'ECDSA', namedCurve: 'P-384' },
  rsa2048: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  rsa1024: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 1024,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
};

/** A CSR as a unit's secure element would make it (the key is thrown away: tests only need the CSR). */
export async function unitCsr(
  commonName: string,
  kind: Kind = 'p256',
  hash: 'SHA-256' | 'SHA-1' = 'SHA-256',
): Promise<string> {
  const algorithm = ALGORITHMS[kind];
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: { ...algorithm, hash },
  });
  return csr.toString('pem');
}

/** The same CSR with one byte of its signature changed: it parses, and its signature does not verify. */
export function tamperedSignature(pem: string): string {
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(pem).rawData);
  der[der.length - 3]! ^= 0x01;
  return new x509.Pkcs10CertificateRequest(der).toString('pem');
}
