import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { openSealed } from '@claimline/station-crypto';
import type { Credentials } from './api-client.js';
import { StationError } from './station-error.js';

export type VerifiedUnit = {
  serial: string;
  thingName: string;
  certificatePem: string;
  privateKeyPem: Buffer;
  caPem: string;
  endpoint: string;
  certificateId: string;
};

function caCertificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

/**
 * Opens the sealed key and checks that these credentials are the scanned unit's and belong together:
 * the payload is bound to (serial, certificate id, this station); the certificate id is the SHA-256 of
 * the certificate; the certificate's public key matches the private key; the certificate is issued and
 * signed by a CA of the chain (or of the pinned `trustedCaPem`); the thing name matches the pattern.
 * Returns the private key PEM in a Buffer the caller must zero.
 */
export function openAndVerify(
  creds: Credentials,
  scanned: string,
  stationKey: KeyObject,
  stationId: string,
  options: { trustedCaPem?: string; thingNamePattern?: string } = {},
): VerifiedUnit {
  const fail = (why: string) =>
    new StationError('VERIFY_FAILED', `unit ${scanned}: ${why}; do not burn, report it`);
  if (creds.serial !== scanned) throw fail(`the server answered for serial ${creds.serial}`);
  if (creds.stationId !== stationId) throw fail('the credentials were sealed for another station');
  let privateKeyPem: Buffer;
  try {
    privateKeyPem = openSealed(creds.sealedPrivateKey, stationKey, {
      serial: scanned,
      certificateId: creds.certificateId,
      stationId,
    });
  } catch (error) {
    throw fail((error as Error).message);
  }
  try {
    let certificate: X509Certificate;
    let privateKey: KeyObject;
    try {
      certificate = new X509Certificate(creds.certificatePem);
      privateKey = createPrivateKey(privateKeyPem);
    } catch {
      throw fail('the certificate or the private key does not parse');
    }
    if (createHash('sha256').update(certificate.raw).digest('hex') !== creds.certificateId)
      throw fail('the certificate id does not match the certificate');
    if (!certificate.checkPrivateKey(privateKey))
      throw fail("the certificate's public key does not match the private key");
    const cas = caCertificates(options.trustedCaPem ?? creds.caPem);
    if (!cas.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey)))
      throw fail('the certificate does not chain to the CA');
    const thingName = creds.thingName ?? '';
    if (!thingName) throw fail('no thing name');
    if (options.thingNamePattern && thingName !== options.thingNamePattern.replaceAll('{serial}', scanned)) {
      throw fail(`thing ${thingName} is not ${options.thingNamePattern.replaceAll('{serial}', scanned)}`);
    }
    return {
      serial: scanned,
      thingName,
      certificatePem: creds.certificatePem,
      privateKeyPem,
      caPem: creds.caPem,
      endpoint: creds.endpoint,
      certificateId: creds.certificateId,
    };
  } catch (error) {
    privateKeyPem.fill(0);
    throw error;
  }
}
