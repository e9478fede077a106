import 'reflect-metadata';
import { createHash, createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AppError } from '../../errors/app-error.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type CsrKeyType = 'ec-p256' | 'rsa-2048';

export type CsrRules = {
  keyTypes: readonly CsrKeyType[];
  /** The subject must be exactly CN=<serial>. */
  requireCnSerial: boolean;
};

/** What the API keeps of an accepted CSR besides the PEM: public facts for the audit and the worker. */
export type CheckedCsr = { pem: string; keyType: CsrKeyType; sha256: string };

/** One PEM block of a PKCS#10 request and nothing else (whitespace around it aside). */
const PEM_CSR =
  /^-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE REQUEST-----$/;

function keyTypeOf(spkiDer: ArrayBuffer): CsrKeyType | string {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec')
    return details.namedCurve === 'prime256v1' ? 'ec-p256' : `ec-${details.namedCurve}`;
  if (key.asymmetricKeyType === 'rsa') return `rsa-${details.modulusLength}`;
  return key.asymmetricKeyType ?? 'unknown';
}

/**
 * A unit's CSR as the API accepts it (issue 14): PEM PKCS#10 only, its self-signature valid, its key
 * one of `rules.keyTypes`, and (when required) its subject exactly CN=<serial>. Each refusal has its own
 * code. The CSR is public material: the unit's private key never travels.
 */
export async function checkUnitCsr(text: string, serial: string, rules: CsrRules): Promise<CheckedCsr> {
  const pem = text.trim();
  const block = PEM_CSR.exec(pem);
  if (!block)
    throw new AppError('CSR_MALFORMED', 'csrPem must be one PEM block "-----BEGIN CERTIFICATE REQUEST-----"');
  let csr: x509.Pkcs10CertificateRequest;
  let keyType: string;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
    keyType = keyTypeOf(csr.publicKey.rawData);
  } catch {
    throw new AppError('CSR_MALFORMED', 'csrPem is not a PKCS#10 certificate request that parses');
  }
  if (!(rules.keyTypes as readonly string[]).includes(keyType))
    throw new AppError(
      'CSR_KEY_TYPE_NOT_ALLOWED',
      `the CSR key is ${keyType}; allowed: ${rules.keyTypes.join(', ')}`,
      {
        keyType,
      },
    );
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid)
    throw new AppError('CSR_SIGNATURE_INVALID', "the CSR's self-signature does not verify with its key");
  if (rules.requireCnSerial) {
    const subject = csr.subjectName.toJSON();
    const cn = csr.subjectName.getField('CN');
    const single = subject.length === 1 && Object.keys(subject[0] ?? {}).length === 1;
    if (!single || cn.length !== 1 || cn[0] !== serial)
      throw new AppError('CSR_SUBJECT_MISMATCH', `the CSR subject must be exactly CN=${serial}`, {
        subject: csr.subject.slice(0, 200),
      });
  }
  const sha256 = createHash('sha256').update(Buffer.from(csr.rawData)).digest('hex');
  return { pem: `${pem}\n`, keyType: keyType as CsrKeyType, sha256 };
}
