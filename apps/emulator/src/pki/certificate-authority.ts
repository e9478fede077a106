import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x509 } from './x509.js';
import { certificateIdOf, pemToDer } from './certificate-id.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const AWS_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

export type IssuedCertificate = { certificateId: string; certificatePem: string };

export type PkiFiles = { caPath: string; serverCertPath: string; serverKeyPath: string };

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('pkcs8', pemToDer(pem), EC, true, ['sign']);
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/** The emulator's own root CA: signs the server certificate, the claim certificate and every device certificate. */
export class CertificateAuthority {
  private constructor(
    readonly caCert: x509.X509Certificate,
    private readonly caKey: webcrypto.CryptoKey,
    readonly caPem: string,
  ) {}

  /** Loads the CA from `dir`, creating it on first start. */
  static async open(dir: string): Promise<CertificateAuthority> {
    await mkdir(dir, { recursive: true });
    const certPath = join(dir, 'ca.cert.pem');
    const keyPath = join(dir, 'ca.key.pem');
    if (await exists(keyPath)) {
      const caPem = await readFile(certPath, 'utf8');
      return new CertificateAuthority(
        new x509.X509Certificate(caPem),
        await importSigningKey(await readFile(keyPath, 'utf8')),
        caPem,
      );
    }
    const keys = (await webcrypto.subtle.generateKey(EC, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=claimline emulator root CA, O=claimline',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: AWS_NOT_AFTER,
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const caPem = caCert.toString('pem') + '\n';
    await writeFile(keyPath, await exportPkcs8Pem(keys.privateKey), { mode: 0o600 });
    await writeFile(certPath, caPem);
    return new CertificateAuthority(caCert, keys.privateKey, caPem);
  }

  /** Server certificate for localhost and 127.0.0.1; created once and kept in `dir`. */
  async serverCredentials(dir: string): Promise<{ certPem: string; keyPem: string }> {
    const certPath = join(dir, 'server.cert.pem');
    const keyPath = join(dir, 'server.key.pem');
    if (await exists(keyPath))
      return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
    const keys = (await webcrypto.subtle.generateKey(EC, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await this.#sign(keys.publicKey, 'CN=localhost', [
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ]);
    const certPem = cert.toString('pem') + '\n';
    const keyPem = await exportPkcs8Pem(keys.privateKey);
    await writeFile(keyPath, keyPem, { mode: 0o600 });
    await writeFile(certPath, certPem);
    return { certPem, keyPem };
  }

  /** A fresh EC key pair and certificate, for the shared claim certificate. */
  async issueWithNewKey(subject: string): Promise<IssuedCertificate & { privateKeyPem: string }> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const issued = await this.issue(await webcrypto.subtle.exportKey('spki', keys.publicKey), subject);
    return { ...issued, privateKeyPem: await exportPkcs8Pem(keys.privateKey) };
  }

  /** Issues a client certificate for a public key (SPKI DER or a parsed key), as AWS does for a device. */
  async issue(
    publicKey: x509.PublicKey | ArrayBuffer | Buffer,
    subject = 'CN=AWS IoT Certificate',
  ): Promise<IssuedCertificate> {
    const cert = await this.#sign(publicKey, subject, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return { certificateId: certificateIdOf(cert.rawData), certificatePem: cert.toString('pem') + '\n' };
  }

  async #sign(
    publicKey: x509.PublicKey | webcrypto.CryptoKey | ArrayBuffer | Buffer,
    subject: string,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: this.caCert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: AWS_NOT_AFTER,
      publicKey,
      signingKey: this.caKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(this.caCert, false),
        ...extensions,
      ],
    });
  }
}
