import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { verifyBundle } from '@claimline/station-contract';
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

/**
 * Reads the pinned device-issuer CA file (the CA that issues device certificates: at AWS not published as
 * a trust anchor; the emulator writes its own as `device-issuer-ca.pem`). Fails before the first scan.
 */
export function readDeviceIssuerCas(file: string): X509Certificate[] {
  const fail = (why: string) => new StationError('BAD_DEVICE_ISSUER_CA', `device-issuer CA ${file}: ${why}`);
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw fail('holds no PEM certificate');
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    throw fail('holds a certificate that does not parse');
  }
}

/**
 * Opens the sealed key and checks that these credentials are the scanned unit's and belong together:
 * the payload is bound to (serial, certificate id, this station); the certificate id is the SHA-256 of
 * the certificate; the certificate's public key matches the private key; when a device-issuer CA is
 * pinned (`deviceIssuerCas`, see readDeviceIssuerCas), the certificate is issued and signed by it; the
 * thing name matches the pattern. The `caPem` that comes with the credentials is the endpoint's trust
 * root, for the device to verify the server: AWS IoT's device certificates do not chain to it, so it
 * proves nothing here.
 * Returns the private key PEM in a Buffer the caller must zero.
 */
/** What `init` pinned: the server's bundle key, the endpoint and the endpoint trust root units get. */
export type Pins = { bundleKey: KeyObject; endpoint: string; caPem: string };

const samePem = (a: string, b: string) => a.replace(/\r\n/g, '\n').trim() === b.replace(/\r\n/g, '\n').trim();

/**
 * The bundle first: signed by the pinned server key (its age is checked when it arrives), naming the
 * endpoint and trust root this station was set up with (not ones an attacker chose), for the scanned
 * serial and this station.
 */
export function checkBundle(
  creds: Credentials,
  scanned: string,
  stationId: string,
  pins: Pins,
  fail: (why: string) => StationError,
): void {
  const signed = verifyBundle(creds, pins.bundleKey);
  if (!signed.ok) throw fail(signed.reason);
  if (creds.endpoint !== pins.endpoint)
    throw fail(`the endpoint ${creds.endpoint} is not the pinned ${pins.endpoint}`);
  if (!samePem(creds.caPem, pins.caPem)) throw fail('the endpoint CA is not the pinned one');
  if (creds.serial !== scanned) throw fail(`the server answered for serial ${creds.serial}`);
  if (creds.stationId !== stationId) throw fail('the credentials were sealed for another station');
}

export type CertificateChecks = { deviceIssuerCas?: X509Certificate[]; thingNamePattern?: string };

/**
 * The certificate itself: its id is its SHA-256, it is issued by the pinned device-issuer CA (when one is
 * pinned), and the unit has a thing name (the pattern's, when given). Returns the thing name.
 */
export function checkCertificate(
  certificate: X509Certificate,
  creds: Credentials,
  scanned: string,
  options: CertificateChecks,
  fail: (why: string) => StationError,
): string {
  if (createHash('sha256').update(certificate.raw).digest('hex') !== creds.certificateId)
    throw fail('the certificate id does not match the certificate');
  const issuers = options.deviceIssuerCas;
  if (issuers && !issuers.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey)))
    throw fail('the certificate was not issued by the pinned device-issuer CA');
  const thingName = creds.thingName ?? '';
  if (!thingName) throw fail('no thing name');
  const expected = options.thingNamePattern?.replaceAll('{serial}', scanned);
  if (expected && thingName !== expected) throw fail(`thing ${thingName} is not ${expected}`);
  return thingName;
}

export async function openAndVerify(
  creds: Credentials,
  scanned: string,
  stationKey: KeyObject,
  stationId: string,
  pins: Pins,
  options: CertificateChecks = {},
): Promise<VerifiedUnit> {
  const fail = (why: string) =>
    new StationError('VERIFY_FAILED', `unit ${scanned}: ${why}; do not burn, report it`);
  checkBundle(creds, scanned, stationId, pins, fail);
  if (!creds.sealedPrivateKey) throw fail('the bundle holds no key');
  let privateKeyPem: Buffer;
  try {
    privateKeyPem = await openSealed(creds.sealedPrivateKey, stationKey, {
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
    const thingName = checkCertificate(certificate, creds, scanned, options, fail);
    if (!certificate.checkPrivateKey(privateKey))
      throw fail("the certificate's public key does not match the private key");
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
