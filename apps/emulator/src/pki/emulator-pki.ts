import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CertificateAuthority, exportPkcs8Pem, generateKeys } from './certificate-authority.js';
import { certificateIdOf } from './certificate-id.js';
import { x509 } from './x509.js';

export type IssuedCertificate = { certificateId: string; certificatePem: string };

/** The issuer AWS IoT writes into the device certificates it creates: one OU attribute holding it all. */
export const AWS_DEVICE_ISSUER_OU = 'Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US';

/** CreateKeysAndCertificate's subject at AWS. */
export const AWS_DEVICE_SUBJECT = 'CN=AWS IoT Certificate';

/** Files of the single-CA PKI of emulator versions before the two trust paths; removed on open. */
const SINGLE_CA_FILES = ['ca.cert.pem', 'ca.key.pem', 'server.cert.pem', 'server.key.pem'];

export type ServerCredentials = {
  /** The server certificate followed by the intermediate that signed it, as a TLS server sends them. */
  chainPem: string;
  keyPem: string;
};

/**
 * The emulator's PKI, shaped like AWS IoT's two unrelated trust paths:
 * - root CA (given to clients as `AmazonRootCA1.pem`) → server CA (intermediate) → server certificate;
 * - a device CA, self-signed with AWS's device issuer name, that signs the claim certificate and every
 *   device certificate. It is not under the root: a device certificate does not verify against the
 *   root, as at AWS. Connections are admitted by the registry (apps/emulator/src/mqtt/broker.ts).
 * CAs are kept in `dir`; the server certificate is issued afresh at each start for the configured names.
 */
export class EmulatorPki {
  private constructor(
    readonly root: CertificateAuthority,
    readonly serverCa: CertificateAuthority,
    readonly deviceCa: CertificateAuthority,
  ) {}

  /** Opens (or creates) the CAs in `dir`; the single CA of older emulator versions is replaced, not kept. */
  static async open(dir: string): Promise<EmulatorPki> {
    await mkdir(dir, { recursive: true });
    await Promise.all(SINGLE_CA_FILES.map((file) => rm(join(dir, file), { force: true })));
    const root = await CertificateAuthority.open(dir, {
      file: 'root-ca',
      subject: 'CN=claimline emulator Root CA 1, O=claimline',
      keyKind: 'ec',
    });
    const serverCa = await CertificateAuthority.open(dir, {
      file: 'server-ca',
      subject: 'CN=claimline emulator Server CA, O=claimline',
      keyKind: 'ec',
      issuer: root,
      pathLength: 0,
    });
    const deviceCa = await CertificateAuthority.open(dir, {
      file: 'device-ca',
      subject: [{ OU: [AWS_DEVICE_ISSUER_OU] }],
      keyKind: 'rsa',
    });
    return new EmulatorPki(root, serverCa, deviceCa);
  }

  /** A server certificate for `names` (DNS names and IP addresses), signed by the server CA. */
  async serverCredentials(names: readonly string[]): Promise<ServerCredentials> {
    if (names.length === 0) throw new Error('the server certificate needs at least one name');
    const keys = await generateKeys('ec');
    const commonName = names.find((name) => isIP(name) === 0) ?? names[0]!;
    const certificate = await this.serverCa.sign({
      publicKey: keys.publicKey,
      subject: [{ CN: [commonName] }],
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          names.map((name) => (isIP(name) ? { type: 'ip', value: name } : { type: 'dns', value: name })),
        ),
      ],
    });
    return {
      chainPem: certificate.toString('pem') + '\n' + this.serverCa.pem,
      keyPem: await exportPkcs8Pem(keys.privateKey),
    };
  }

  /**
   * A device certificate as AWS IoT issues one (CreateKeysAndCertificate, CreateCertificateFromCsr):
   * signed by the device CA, basicConstraints CA:FALSE and keyUsage digitalSignature, both critical.
   */
  async issueDeviceCertificate(
    publicKey: x509.PublicKey | ArrayBuffer | Buffer,
    subject: x509.Name | string = AWS_DEVICE_SUBJECT,
  ): Promise<IssuedCertificate> {
    const certificate = await this.deviceCa.sign({
      publicKey,
      subject,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    return {
      certificateId: certificateIdOf(certificate.rawData),
      certificatePem: certificate.toString('pem') + '\n',
    };
  }

  /** A fresh EC key pair and a device certificate for it (the shared claim certificate). */
  async issueWithNewKey(subject: string): Promise<IssuedCertificate & { privateKeyPem: string }> {
    const keys = await generateKeys('ec');
    const publicKeyDer = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const issued = await this.issueDeviceCertificate(publicKeyDer, subject);
    return { ...issued, privateKeyPem: await exportPkcs8Pem(keys.privateKey) };
  }
}
