import 'reflect-metadata';
import { generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const generateKeyPairAsync = promisify(generateKeyPair);

export type CsrKeyAlgorithm = 'ec-p256' | 'rsa-2048';

export type KeyAndCsr = {
  /** PKCS#8 PEM. A secret: store it encrypted, never log it. */
  privateKeyPem: string;
  /** PKCS#10 PEM, subject `CN=<serial>`. */
  csrPem: string;
};

const SIGNING = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
} as const;

/**
 * A new key pair and a CSR for CreateCertificateFromCsr. The key is generated with the async
 * `generateKeyPair` (libuv thread pool): RSA-2048 costs ~135 ms of CPU, which the sync form would
 * spend blocking the event loop, and with it every connection's keep-alive and every other flow.
 */
export async function generateKeyAndCsr(
  serial: string,
  algorithm: CsrKeyAlgorithm = 'ec-p256',
): Promise<KeyAndCsr> {
  const { privateKey, publicKey } =
    algorithm === 'ec-p256'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const keys = await toCryptoKeys(privateKey, publicKey, algorithm);
  // A JSON name, not the string form, so a serial holding `,` `=` or `+` cannot change the subject.
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [serial] }],
    keys,
    signingAlgorithm: SIGNING[algorithm],
  });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csrPem: csr.toString('pem'),
  };
}

type X509KeyPair = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];

async function toCryptoKeys(
  privateKey: KeyObject,
  publicKey: KeyObject,
  algorithm: CsrKeyAlgorithm,
): Promise<X509KeyPair> {
  const importParams =
    algorithm === 'ec-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const [cryptoPrivate, cryptoPublic] = await Promise.all([
    webcrypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      importParams,
      false,
      ['sign'],
    ),
    webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      importParams,
      true,
      ['verify'],
    ),
  ]);
  return { privateKey: cryptoPrivate, publicKey: cryptoPublic } as unknown as X509KeyPair;
}
