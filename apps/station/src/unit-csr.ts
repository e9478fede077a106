import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { Credentials } from './api-client.js';
import { StationError } from './station-error.js';
import { checkBundle, checkCertificate, type CertificateChecks, type Pins } from './verify.js';

/** A CSR is a few hundred bytes; anything past this is not one. */
const MAX_OUTPUT_BYTES = 64 * 1024;
const PEM_CSR =
  /-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----/;

/**
 * Runs the configured `--csr-command` (no shell, killed after `timeoutMs`, like the burn command) and
 * takes the one PEM CSR it prints. The unit's key stays in the unit: only its CSR comes out.
 */
export async function runCsrCommand(argv: readonly string[], timeoutMs: number): Promise<string> {
  const [command, ...args] = argv;
  const fail = (why: string) => new StationError('CSR_COMMAND_FAILED', `CSR command ${command}: ${why}`);
  const { code, signal, out } = await new Promise<{
    code: number | null;
    signal: string | null;
    out: Buffer;
  }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const child = spawn(command!, args, {
      shell: false,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(fail(`could not start (${error.code ?? error.message})`)),
    );
    child.on('close', (c, s) => resolve({ code: c, signal: s, out: Buffer.concat(chunks) }));
  });
  if (code !== 0) throw fail(signal ? `ended by ${signal} (time-out?)` : `exit code ${code}`);
  const pem = PEM_CSR.exec(out.toString('utf8'))?.[0];
  if (!pem) throw fail('printed no PEM certificate request');
  return `${pem}\n`;
}

/** SHA-256 of the CSR's public key (SPKI DER), hex: what the certificate's key must be. */
export function csrPublicKeyDigest(csrPem: string): string {
  let spki: ArrayBuffer;
  try {
    spki = new Pkcs10CertificateRequest(csrPem).publicKey.rawData;
  } catch {
    throw new StationError('CSR_COMMAND_FAILED', 'the CSR the unit gave does not parse');
  }
  return createHash('sha256').update(Buffer.from(spki)).digest('hex');
}

export type DeviceKeyUnit = {
  serial: string;
  thingName: string;
  certificatePem: string;
  caPem: string;
  endpoint: string;
  certificateId: string;
};

/**
 * The certificate of a unit that holds its own key: the bundle is signed by the pinned server key and
 * names the pinned endpoint and trust root, it is this unit's and this station's, it says the key is in
 * the unit, the certificate id is the certificate's SHA-256, and the certificate's public key is the one
 * in the unit's CSR (`csrKeyDigest`). Issuer and thing name are checked as for any unit.
 */
export function verifyDeviceKeyBundle(
  creds: Credentials,
  scanned: string,
  csrKeyDigest: string,
  stationId: string,
  pins: Pins,
  options: CertificateChecks = {},
): DeviceKeyUnit {
  const fail = (why: string) =>
    new StationError('VERIFY_FAILED', `unit ${scanned}: ${why}; do not write it, report it`);
  checkBundle(creds, scanned, stationId, pins, fail);
  if (creds.keyOrigin !== 'device' || creds.sealedPrivateKey)
    throw fail('the server sent a key for a unit that holds its own');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(creds.certificatePem);
  } catch {
    throw fail('the certificate does not parse');
  }
  const certKey = createHash('sha256')
    .update(certificate.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  if (certKey !== csrKeyDigest) throw fail("the certificate's public key is not the one in the unit's CSR");
  const thingName = checkCertificate(certificate, creds, scanned, options, fail);
  return {
    serial: scanned,
    thingName,
    certificatePem: creds.certificatePem,
    caPem: creds.caPem,
    endpoint: creds.endpoint,
    certificateId: creds.certificateId,
  };
}
