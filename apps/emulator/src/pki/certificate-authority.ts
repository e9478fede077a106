import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pemToDer } from './certificate-id.js';
import { x509 } from './x509.js';

/** Every certificate the emulator issues ends where AWS's device certificates end. */
export const AWS_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

/** EC P-256 with ECDSA-SHA256, or RSA 2048 with sha256WithRSAEncryption (what AWS's device CA signs with). */
export type KeyKind = 'ec' | 'rsa';

const ALGORITHMS = {
  ec: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  rsa: {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
} as const;

export type CaSpec = {
  /** File stem in the PKI directory: `<file>.cert.pem`, `<file>.key.pem`. */
  file: string;
  subject: x509.JsonName | string;
  keyKind: KeyKind;
  /** Signs this CA; self-signed when absent. */
  issuer?: CertificateAuthority;
  /** basicConstraints pathLenConstraint (0 for a CA that signs only end-entity certificates). */
  pathLength?: number;
};

export type SignRequest = {
  publicKey: x509.PublicKey | webcrypto.CryptoKey | ArrayBuffer | Buffer;
  subject: x509.Name | x509.JsonName | string;
  /** Extensions beyond the key identifiers, which every certificate gets. */
  extensions: x509.Extension[];
};

export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

export async function generateKeys(kind: KeyKind): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHMS[kind].generate, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

export async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

const pemOf = (certificate: x509.X509Certificate) => certificate.toString('pem') + '\n';

/** One certificate authority of the emulator's PKI: its certificate, its key, and signing with it. */
export class CertificateAuthority {
  readonly pem: string;

  private constructor(
    readonly certificate: x509.X509Certificate,
    private readonly key: webcrypto.CryptoKey,
    private readonly keyKind: KeyKind,
  ) {
    this.pem = pemOf(certificate);
  }

  /** Loads the CA kept in `dir`, or creates it (and keeps it there) on first use. */
  static async open(dir: string, spec: CaSpec): Promise<CertificateAuthority> {
    const certPath = join(dir, `${spec.file}.cert.pem`);
    const keyPath = join(dir, `${spec.file}.key.pem`);
    const [certPem, keyPem] = await Promise.all([
      readFile(certPath, 'utf8').catch(() => undefined),
      readFile(keyPath, 'utf8').catch(() => undefined),
    ]);
    if (certPem && keyPem) {
      const key = await webcrypto.subtle.importKey(
        'pkcs8',
        pemToDer(keyPem),
        ALGORITHMS[spec.keyKind].import,
        false,
        ['sign'],
      );
      return new CertificateAuthority(new x509.X509Certificate(certPem), key, spec.keyKind);
    }
    const keys = await generateKeys(spec.keyKind);
    const caExtensions = [
      new x509.BasicConstraintsExtension(true, spec.pathLength, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ];
    const certificate = spec.issuer
      ? await spec.issuer.sign({ publicKey: keys.publicKey, subject: spec.subject, extensions: caExtensions })
      : await x509.X509CertificateGenerator.createSelfSigned({
          serialNumber: serialNumber(),
          name: spec.subject,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: AWS_NOT_AFTER,
          keys,
          signingAlgorithm: ALGORITHMS[spec.keyKind].sign,
          extensions: [...caExtensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
        });
    await writeFile(keyPath, await exportPkcs8Pem(keys.privateKey), { mode: 0o600 });
    await writeFile(certPath, pemOf(certificate));
    return new CertificateAuthority(certificate, keys.privateKey, spec.keyKind);
  }

  /** Signs a certificate valid from a minute ago to AWS's 2049-12-31, with key identifiers. */
  async sign(request: SignRequest): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: request.subject,
      issuer: this.certificate.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: AWS_NOT_AFTER,
      publicKey: request.publicKey,
      signingKey: this.key,
      signingAlgorithm: ALGORITHMS[this.keyKind].sign,
      extensions: [
        ...request.extensions,
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(request.publicKey),
      ],
    });
  }

  /** True when this CA's key signed `certificate` (so a certificate of an older PKI is told apart). */
  async issued(certificate: x509.X509Certificate): Promise<boolean> {
    if (certificate.issuer !== this.certificate.subject) return false;
    return certificate
      .verify({ publicKey: this.certificate.publicKey, signatureOnly: true })
      .catch(() => false);
  }
}
