import { x509 } from './x509.js';

export type CsrCheck =
  { ok: true; publicKey: x509.PublicKey; subject: x509.Name } | { ok: false; reason: string };

const ACCEPTED_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const ACCEPTED_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

/** Parses a PEM CSR, verifies its self-signature and accepts the key types AWS IoT accepts. */
export async function checkCsr(pem: unknown): Promise<CsrCheck> {
  if (typeof pem !== 'string' || !pem.includes('CERTIFICATE REQUEST'))
    return { ok: false, reason: 'certificateSigningRequest must be a PEM CSR' };
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    return { ok: false, reason: 'certificateSigningRequest cannot be parsed' };
  }
  const algorithm = csr.publicKey.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' || algorithm.name === 'RSA-PSS') {
    if ((algorithm.modulusLength ?? 0) < 2048)
      return { ok: false, reason: 'RSA keys must be at least 2048 bits' };
  } else if (algorithm.name === 'ECDSA') {
    if (!ACCEPTED_CURVES.has(algorithm.namedCurve ?? ''))
      return { ok: false, reason: `unsupported curve ${algorithm.namedCurve}` };
  } else {
    return { ok: false, reason: `unsupported key algorithm ${algorithm.name}` };
  }
  // AWS IoT signs CSRs signed with SHA-256, SHA-384 or SHA-512 only (SHA-1 is refused).
  const hash = (csr.signatureAlgorithm as { hash?: { name?: string } }).hash?.name ?? '';
  if (!ACCEPTED_HASHES.has(hash))
    return { ok: false, reason: `unsupported CSR signature algorithm (hash ${hash || 'unknown'})` };
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'CSR signature does not verify' };
  return { ok: true, publicKey: csr.publicKey, subject: csr.subjectName };
}
