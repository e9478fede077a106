import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProvisioningTemplate } from '@claimline/provisioning-template';
import { certificateIdOf, pemToDer } from './pki/certificate-id.js';
import type { EmulatorPki } from './pki/emulator-pki.js';
import { x509 } from './pki/x509.js';

export type ClientFiles = {
  /** The endpoint's trust root, alone (AWS's `AmazonRootCA1.pem`): verifies the server, not devices. */
  caPath: string;
  /** The CA that issues device certificates, for code that wants to pin it (AWS does not publish it). */
  deviceIssuerCaPath: string;
  claimCertPath: string;
  claimKeyPath: string;
  endpointPath: string;
  templatesDir: string;
  /** control-plane.json (0600): endpoint, region, accessKeyId, secretAccessKey. */
  controlPlanePath: string;
};

/**
 * What a client needs to reach the emulator, in `<stateDir>/client`: the root CA (named like Amazon's
 * root), the device-issuing CA, the claim certificate and key (created once, kept across restarts while
 * the device CA that issued them is), endpoint.json and `templates/` (the provisioning templates it
 * serves, as their owner keeps them for AWS).
 */
export async function writeClientFiles(
  stateDir: string,
  pki: EmulatorPki,
): Promise<{ files: ClientFiles; claimCertificateId: string }> {
  const dir = join(stateDir, 'client');
  await mkdir(dir, { recursive: true });
  const files: ClientFiles = {
    caPath: join(dir, 'AmazonRootCA1.pem'),
    deviceIssuerCaPath: join(dir, 'device-issuer-ca.pem'),
    claimCertPath: join(dir, 'claim.cert.pem'),
    claimKeyPath: join(dir, 'claim.private.key'),
    endpointPath: join(dir, 'endpoint.json'),
    templatesDir: join(dir, 'templates'),
    controlPlanePath: join(dir, 'control-plane.json'),
  };
  let claimPem = await readFile(files.claimCertPath, 'utf8').catch(() => undefined);
  const keyExists = await readFile(files.claimKeyPath).then(
    () => true,
    () => false,
  );
  if (!claimPem || !keyExists || !(await pki.deviceCa.issued(new x509.X509Certificate(claimPem)))) {
    const claim = await pki.issueWithNewKey('CN=claimline claim certificate, O=claimline');
    await writeFile(files.claimKeyPath, claim.privateKeyPem, { mode: 0o600 });
    await writeFile(files.claimCertPath, claim.certificatePem);
    claimPem = claim.certificatePem;
  }
  await chmod(files.claimKeyPath, 0o600);
  await writeFile(files.caPath, pki.root.pem);
  await writeFile(files.deviceIssuerCaPath, pki.deviceCa.pem);
  return { files, claimCertificateId: certificateIdOf(pemToDer(claimPem)) };
}

export async function writeEndpoint(
  files: ClientFiles,
  endpoint: { host: string; port: number },
): Promise<void> {
  await writeFile(files.endpointPath, JSON.stringify(endpoint, null, 2) + '\n');
}

/** What `@aws-sdk/client-iot` needs to call the control plane (the CA is `caPath`); 0600, it holds a secret. */
export async function writeControlPlane(
  files: ClientFiles,
  controlPlane: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  await writeFile(files.controlPlanePath, JSON.stringify(controlPlane, null, 2) + '\n', { mode: 0o600 });
  await chmod(files.controlPlanePath, 0o600);
}

/**
 * The templates this endpoint serves, one `<name>.json` each in AWS's template format (the
 * pre-provisioning hook left out: it is the endpoint's business). Workers read them to predict a
 * unit's thing name when a RegisterThing answer was lost; stale files of removed templates go.
 */
export async function writeTemplates(
  files: ClientFiles,
  templates: Map<string, ProvisioningTemplate>,
): Promise<void> {
  await rm(files.templatesDir, { recursive: true, force: true });
  await mkdir(files.templatesDir, { recursive: true });
  for (const [name, { Parameters, Mappings, Resources, DeviceConfiguration }] of templates) {
    const body = { Parameters, Mappings, Resources, DeviceConfiguration };
    await writeFile(join(files.templatesDir, `${name}.json`), JSON.stringify(body, null, 2) + '\n');
  }
}
